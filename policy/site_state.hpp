#pragma once
// Everything the policy knows about the site at one moment. The controller
// fills it from driver events; the policy never reads a clock or a socket.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "amps.hpp"
#include "device_state.hpp"
#include "fuse_tree.hpp"
#include "phase.hpp"

namespace fuseguard::policy {

// Whether the station is known to obey the limit we gave it (SPEC 1).
enum class Control : std::uint8_t {
    Managed,    // its last limit was accepted: `limit_in_force` holds
    Unmanaged,  // not confirmed yet, or it lost its profile: the next plan sends one
    Rejected,   // it refused our last limit: counted at capacity, not allocated
};

// Strict mode relies on nothing a station does, its vehicle included.
enum class PolicyMode : std::uint8_t { Standard, Strict };

// One cache line holds everything but the reported draw and the id: the
// transition plan reads only that line, and at 10,000 stations the inputs
// come from memory on every plan.
struct alignas(64) StationInput {
    Amps max_current;                    // capacity; 0 means the installer declared it unused
    // The last limit it accepted (or a raise on its way, which may apply
    // before its answer): what it counts while Managed, and what it still
    // holds otherwise when `limit_known`.
    Amps limit_in_force;
    // Among equal priorities, lower goes first when not everyone can charge.
    // The controller advances it for stations that have been served, so that
    // paused stations take turns.
    std::uint64_t turn = 0;
    NodeId node = FuseTree::root();
    int priority = 0;                    // higher is served first
    int phase_count = 3;                 // 1 or 3
    PhaseRotation rotation;
    DeviceState state = DeviceState::Unknown;
    Control control = Control::Unmanaged;
    bool wants_current = false;          // a connector is Preparing/Charging/Suspended*
    // The reported draw was measured before the limit in force was raised (or
    // before the vehicle had time to follow the raise): it cannot show whether
    // the station uses the raise, so it frees nothing until a newer one does.
    bool draw_predates_limit = false;
    // It holds limit_in_force even when not managed: it accepted it and
    // refused nothing since without saying so (a station keeps its profiles
    // when it loses us, OCPP 1.6 3.13.6). False before its first acceptance
    // and after a limit went unanswered (it may or may not have applied it).
    bool limit_known = false;
    // Lost (it was online), and its own profiles may not have stepped it
    // down to its fallback yet: the controller works that out from when it
    // was lost, failsafe_after_s and the station's evaluation delay (SPEC 1).
    bool holds_last_limit = false;
    // Its failsafe was verified (or the installer trusts it unverified):
    // only then is its fallback what it draws on its own (SPEC 1).
    bool fallback_trusted = false;
    std::optional<Amps> fallback;        // what it draws on its own when it loses us
    // The most the operator's backend (CSMS) allows it now, when fuseguard
    // is its local controller: an upper bound, never a way past a fuse.
    std::optional<Amps> backend_limit;
    // Per station terminal L1..L3 as the station reported it, capped by the
    // controller at any lower limit a meter was read under since; none when
    // it reported nothing recent (counts as 0 drawn, the safe direction).
    std::optional<std::array<Amps, 3>> measured;
    // The most its vehicle may be drawing, per terminal, at the meter
    // reading `measured` was worked out for: above `measured` while a limit
    // change is still reaching the vehicle (it may draw the old limit or
    // already the new one), or a report is newer than the reading. Never
    // below `measured`; counts without it too (a first report waiting for
    // a reading that holds it).
    std::array<Amps, 3> measured_most{};
    std::string id;
    // The station terminals (L1 is the station's L1) its vehicle draws on,
    // once the controller has seen it draw on fewer than the station has
    // (a 1-phase car on a 3-phase station; docs/allocation.md says when):
    // while managed, its limit counts on those phases only. Empty: all.
    PhaseSet vehicle_terminals;

    PhaseSet phases() const { return rotation.used(phase_count); }
    // The site phases its limit is counted on while it is managed: those
    // its vehicle draws on when they are fewer, else every phase it has.
    PhaseSet vehicle_phases() const {
        if (vehicle_terminals.empty() || phase_count < 3) return phases();
        PhaseSet out;
        for (Phase terminal : kAllPhases)
            if (vehicle_terminals.contains(terminal)) out.insert(rotation.site_phase(terminal));
        return out.empty() ? phases() : out;
    }
    // Where its limit counts: its vehicle's phases, unless strict mode
    // counts every phase it has.
    PhaseSet counted_phases(PolicyMode mode) const {
        return mode == PolicyMode::Strict ? phases() : vehicle_phases();
    }
    // Online with its last limit accepted: fuseguard sets what it draws
    // (`managed` in the MQTT API, the dashboard and the metrics).
    bool managed() const { return state == DeviceState::Online && control == Control::Managed; }
    // What is counted for it while online: its confirmed limit, else its capacity.
    Amps counted_now() const { return control == Control::Managed ? limit_in_force : max_current; }
    // The least limit it may be applying now: a limit up to this one cannot
    // raise what it draws, one above may (a station whose limit is not known
    // may be applying anything, down to 0 A).
    Amps least_held() const {
        if (control == Control::Managed) return limit_in_force;
        return limit_known ? min(limit_in_force, max_current) : Amps{};
    }
    // What it is allowed to draw when it loses us: a fallback it holds,
    // else capacity.
    Amps offline_draw() const { return fallback && fallback_trusted ? *fallback : max_current; }
    Amps measured_peak() const {
        if (!measured) return Amps{};
        Amps peak{};
        for (int i = 0; i < phase_count && i < 3; ++i) peak = max(peak, (*measured)[static_cast<std::size_t>(i)]);
        return peak;
    }
};

enum class MeterMeasures : std::uint8_t {
    Total,  // the whole node, stations included
    NonEv,  // only the other loads
};

struct MeterInput {
    std::string id;
    NodeId node = FuseTree::root();
    MeterMeasures measures = MeterMeasures::Total;
    DeviceState state = DeviceState::Unknown;
    PhaseCurrents current;  // last good reading, site phases
    Amps fallback;          // per phase, counted as non-EV load when not online
    // A `total` meter: the non-EV load worked out from the readings before
    // (the controller carries it from plan to plan; none at first). It is
    // kept while the reading and the stations' draws allow it, so that a
    // limit change still reaching a vehicle does not move it (see
    // meter_deductions).
    std::optional<PhaseCurrents> non_ev_before;
};

struct EmsInput {
    std::string id;
    NodeId node = FuseTree::root();
    DeviceState state = DeviceState::Unknown;
    PhaseCurrents reserved;  // last good reading, site phases
    Amps fallback;           // per phase, when not online
};

struct PolicySettings {
    PolicyMode mode = PolicyMode::Standard;
    Amps safety_margin;                      // kept free on every node and phase
    Amps min_current = Amps::whole(6);       // below this a station is paused
    // A station drawing this much less than its limit gives the rest away;
    // its limit stays this far above its draw so it can ask for more.
    Amps reclaim_margin = Amps::whole(2);
    Amps step = Amps::milli(100);            // limits are sent in 0.1 A
    // A charging station keeps its limit when its new share differs by less
    // than this, unless the fuse needs the lowering (SPEC 3: stations write
    // profiles to flash). 0: every change goes out.
    Amps calm_step;
    // A station not charging yet (paused, or never started) starts only
    // where its minimum and this much more fit: without it a minimum that
    // fits by a meter's noise starts and pauses the car every few seconds.
    // Once it charges, its minimum alone keeps it going.
    Amps start_margin;
};

struct SiteState {
    PolicySettings settings;
    std::vector<StationInput> stations;
    std::vector<MeterInput> meters;
    std::vector<EmsInput> ems;
};

}  // namespace fuseguard::policy
