#pragma once
// SPEC 1's table: what the safety rule counts for each device in each state,
// and how those amounts add up at every node of the fuse tree.
#include <cstdint>
#include <string>
#include <vector>

#include "site_state.hpp"

namespace fuseguard::policy {

enum class DeviceKind : std::uint8_t { Charger, Meter, Ems };
std::string_view prefix(DeviceKind k);  // "charger", "meter", "ems"

enum class DeductionRule : std::uint8_t {
    StationLimit,          // online and managed: its limit
    StationStrictReserve,  // strict mode: max(limit, fallback or capacity)
    StationUnmanaged,      // online, limit not (yet) confirmed: capacity
    StationRejected,       // online, refused our limit: capacity
    StationLost,           // lost, its profiles not stepped down yet: its last limit (at least its fallback)
    StationFallback,       // offline or unknown, has a fallback it holds
    StationUnverified,     // offline or unknown, its fallback not verified: capacity
    StationCapacity,       // offline or unknown, no fallback
    MeterMeasured,         // online: the non-EV load it measures
    MeterFallback,         // offline or unknown
    EmsReserved,           // online: what it reserves for its assets
    EmsFallback,           // offline or unknown
};

struct Deduction {
    DeviceKind kind = DeviceKind::Charger;
    std::uint32_t index = 0;  // into SiteState::stations / meters / ems
    NodeId node;
    DeviceState state = DeviceState::Unknown;
    DeductionRule rule = DeductionRule::StationCapacity;
    PhaseCurrents current;    // per site phase
};

// What a station counts for, written into `d` in place. The allocator calls
// these once or twice per station: a struct built elsewhere and copied in
// stalled on store forwarding there.

// Which station and where, whatever it counts for.
inline void set_station(Deduction& d, const StationInput& s, std::uint32_t index) {
    d.kind = DeviceKind::Charger;
    d.index = index;
    d.node = s.node;
    d.state = s.state;
}
// The rule and amount for an online station once `limit` is in force: the
// limit itself, or in strict mode its `reserve` (fallback, else capacity)
// when that is larger.
inline void set_managed_amount(Deduction& d, PhaseSet phases, Amps limit, Amps reserve, PolicyMode mode) {
    d.rule = DeductionRule::StationLimit;
    Amps per_phase = limit;
    if (mode == PolicyMode::Strict && reserve > limit) {
        d.rule = DeductionRule::StationStrictReserve;
        per_phase = reserve;
    }
    d.current = PhaseCurrents::on(phases, per_phase);
}
// One online station as it will be once it accepts `limit`.
inline void write_managed_deduction(Deduction& d, const StationInput& s, std::uint32_t index, Amps limit,
                                    const PolicySettings& cfg) {
    set_station(d, s, index);
    const Amps base = cfg.mode == PolicyMode::Strict ? s.offline_draw() : Amps{};
    set_managed_amount(d, s.counted_phases(cfg.mode), limit, base, cfg.mode);
}
// One station, in the control state it is in now.
inline void write_station_deduction(Deduction& d, const StationInput& s, std::uint32_t index,
                                    const PolicySettings& cfg) {
    if (is_online(s.state) && s.control == Control::Managed) {
        write_managed_deduction(d, s, index, s.limit_in_force, cfg);
        return;
    }
    set_station(d, s, index);
    d.rule = DeductionRule::StationCapacity;
    Amps per_phase = s.max_current;
    if (is_online(s.state)) {
        d.rule = s.control == Control::Rejected ? DeductionRule::StationRejected : DeductionRule::StationUnmanaged;
    } else if (s.fallback && !s.fallback_trusted) {
        d.rule = DeductionRule::StationUnverified;
    } else if (s.fallback && s.holds_last_limit) {
        // What it was last given, or anything up to its capacity when that
        // is not known; never less than the fallback it steps down to.
        d.rule = DeductionRule::StationLost;
        per_phase = max(s.limit_known ? min(s.limit_in_force, s.max_current) : s.max_current, *s.fallback);
    } else if (s.fallback) {
        d.rule = DeductionRule::StationFallback;
        per_phase = *s.fallback;
    }
    d.current = PhaseCurrents::on(s.phases(), per_phase);
}
inline Deduction managed_deduction(const StationInput& s, std::uint32_t index, Amps limit, const PolicySettings& cfg) {
    Deduction d;
    write_managed_deduction(d, s, index, limit, cfg);
    return d;
}
inline Deduction station_deduction(const StationInput& s, std::uint32_t index, const PolicySettings& cfg) {
    Deduction d;
    write_station_deduction(d, s, index, cfg);
    return d;
}
// What the online stations on each node draw, for `total` meters: what is
// taken off the reading, and the most they may be drawing at it. Empty when
// no online `total` meter needs them.
struct StationDraw {
    std::vector<PhaseCurrents> taken_off, at_most;  // per node
    bool empty() const { return taken_off.empty(); }
    void assign(std::size_t nodes) {
        taken_off.assign(nodes, {});
        at_most.assign(nodes, {});
    }
    // Its report mapped onto site phases, each terminal capped at its
    // capacity (a report above it is not believed past it), and the most
    // it may draw the same way: one pass over its terminals for both (the
    // allocator calls this for every online station on every plan).
    void add(NodeId n, const StationInput& s) {
        const bool most = s.measured_most != std::array<Amps, 3>{};
        if (!s.measured && !most) return;
        PhaseCurrents& off = taken_off[n.value];
        PhaseCurrents& up_to = at_most[n.value];
        for (Phase terminal : kAllPhases) {
            const auto t = index(terminal);
            if (static_cast<int>(t) >= s.phase_count) break;
            const Phase p = s.rotation.site_phase(terminal);
            const Amps reported = s.measured ? min(max((*s.measured)[t], Amps{}), s.max_current) : Amps{};
            off[p] += reported;
            up_to[p] += most ? max(reported, min(max(s.measured_most[t], Amps{}), s.max_current)) : reported;
        }
    }
};

// The non-EV load each meter stands for, and each EMS reservation. A `total`
// meter's is its reading less what the online stations below its node draw.
// What they draw at the reading lies between what they report (taken off:
// the non-EV load is at most the reading less that) and the most they may
// be drawing while a limit change reaches their vehicles (it is at least
// the reading less that). The estimate carried from before
// (MeterInput::non_ev_before) is kept where it lies between the two, and
// moved to the nearer bound where it does not: a limit change on its way
// moves neither the estimate nor the plan, and a building load that rises
// by more than the changes on their way can explain is taken in at once.
// It comes down only by the calm step or more (PolicySettings::calm_step):
// a drop smaller than that keeps the estimate from before, above the most
// the reading allows, so that the raises such a drop would buy, and the
// lowerings that take them back a reading later, are not written (a car
// that tapers between its reports reads as non-EV load falling by tenths).
// Without an estimate from before, the most it may be (the safe side).
std::vector<Deduction> meter_deductions(const FuseTree& tree, const SiteState& site);
// The same, given what the stations on each node (not below it) draw; the
// most non-EV load each meter's reading allows goes to `non_ev_most` when
// given (parallel to site.meters; 0 for meters that are not online `total`
// meters). Lets the allocator gather the draw in its own pass.
std::vector<Deduction> meter_deductions(const FuseTree& tree, const SiteState& site, StationDraw draw,
                                        std::vector<PhaseCurrents>* non_ev_most = nullptr);
// Whether any online `total` meter needs the stations' reported draw.
bool needs_station_draw(const SiteState& site);
std::vector<Deduction> ems_deductions(const SiteState& site);

// Per node: everything counted against its fuse, subtree included.
struct NodeLoad {
    PhaseCurrents non_ev;    // metered non-EV load (or meter fallbacks)
    PhaseCurrents ems;       // EMS reservations (or EMS fallbacks)
    PhaseCurrents stations;  // station deductions
    PhaseCurrents total() const { return non_ev + ems + stations; }
};

// Adds device deductions up the tree. A node with meters counts the larger of
// its own meters and the sum its boards report, so a board's measured load is
// never hidden by an offline parent meter with a smaller fallback.
std::vector<NodeLoad> node_loads(const FuseTree& tree, const std::vector<Deduction>& deductions);

// The same sum, fed one deduction at a time (no list to build first).
class NodeLoadSum {
public:
    explicit NodeLoadSum(const FuseTree& tree);
    void add(const Deduction& d);
    void add_station(NodeId node, const PhaseCurrents& c) { loads_[node.value].stations += c; }
    std::vector<NodeLoad> take();  // once, after the last add

private:
    const FuseTree& tree_;
    std::vector<NodeLoad> loads_;
    std::vector<PhaseCurrents> own_meters_;
    std::vector<bool> metered_;
};

// The node's fuse limit minus the safety margin.
Amps capacity(const FuseTree& tree, NodeId n, const PolicySettings& cfg);

struct Violation {
    NodeId node;
    Phase phase;
    Amps load;
    Amps capacity;
};
std::vector<Violation> check_safety(const FuseTree& tree, const PolicySettings& cfg,
                                    const std::vector<NodeLoad>& loads);

// Every device's deduction in the state the site is in now.
std::vector<Deduction> current_deductions(const FuseTree& tree, const SiteState& site);

// The id of the device a deduction is for.
const std::string& device_id(const Deduction& d, const SiteState& site);
// That device as the MQTT API and the reasons name it: "charger:CP007".
std::string device_name(const Deduction& d, const SiteState& site);

// "charger:CP007 offline, no fallback -> 32 A on L1 L2 L3"
std::string describe(const Deduction& d, const SiteState& site);

}  // namespace fuseguard::policy
