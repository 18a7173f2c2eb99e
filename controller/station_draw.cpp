// SiteController, part: what each station draws, from its reports and the
// meter readings they are taken off (SPEC 4, a `total` meter).
#include "site_controller.hpp"

#include <algorithm>

#include "drivers/log.hpp"

namespace fuseguard::controller {

using policy::Amps;

namespace {
// A meter reading completed this soon after a station's report may still
// hold the draw from before it: meters average over about a second and a
// poll in flight was sampled earlier.
constexpr auto kMeterLag = std::chrono::seconds(1);
// A terminal drawing less than this carries none of the vehicle's current.
const Amps kIdleTerminal = Amps::whole(1);
// A vehicle drawing at least this on a terminal is charging, not starting
// up: on-board chargers that bring their phases up one by one are past that.
const Amps kChargingTerminal = Amps::whole(4);
// Reports in a row that must agree before the other phases are freed.
constexpr int kFewerPhasesReports = 2;
}  // namespace

// A station's report stands for its draw until it reports again, but not
// past a lowering: a `total` meter read after it no longer holds the old
// draw, and taking the old draw off it would make the non-EV load look
// smaller than it is. Capped when a meter is read, not when the station
// answers, so that a reading and what is taken off it belong together;
// capping at the answer would count the lowered current twice until the
// next reading and lower everyone else to make room for it.
void SiteController::on_meter_read(std::chrono::steady_clock::time_point at) {
    for (std::size_t i = 0; i < stations_.size(); ++i) {
        const auto& s = model_.state.stations[i];
        auto& rt = stations_[i];
        if (!s.measured && !rt.rise_reported_at) continue;
        const Amps cap = rt.report_cap ? policy::min(*rt.report_cap, s.counted_now()) : s.counted_now();
        const bool rise_holds = rt.rise_reported_at && at - *rt.rise_reported_at >= kMeterLag;
        // Most readings change neither: `measured` is already worked out from
        // the same reports, cap and wait.
        if (rt.report_cap == cap && !rise_holds) continue;
        rt.report_cap = cap;
        if (rise_holds) rt.rise_reported_at.reset();
        refresh_measured(i);
    }
}

// Connector (1.6) or EVSE (2.0.1) 0 is the station as a whole: its report
// and the sum of the others measure the same draw, and adding them would
// take it off a total meter twice. With both, the smaller counts.
std::optional<std::array<Amps, 3>> SiteController::reported_total(std::size_t i) const {
    const auto& rt = stations_[i];
    std::optional<std::array<Amps, 3>> whole, sum;
    for (const auto& [n, con] : rt.connectors) {
        if (!con.current_a) continue;
        auto& into = n == 0 ? whole : sum;
        if (!into) into.emplace();
        for (std::size_t p = 0; p < 3; ++p) (*into)[p] += Amps::round_up(std::max(0.0, (*con.current_a)[p]));
    }
    if (whole && sum)
        for (std::size_t p = 0; p < 3; ++p) (*sum)[p] = policy::min((*sum)[p], (*whole)[p]);
    else if (whole)
        sum = whole;
    return sum;
}

std::optional<std::array<Amps, 3>> SiteController::reported_draw(std::size_t i) const {
    auto draw = reported_total(i);
    if (draw && stations_[i].report_cap)
        for (auto& v : *draw) v = policy::min(v, *stations_[i].report_cap);
    return draw;
}

// What the policy takes as the station's draw. A report of more than is
// taken off a total meter now counts only from a meter reading that holds
// it: taken off a reading from before the vehicle drew it, it would make the
// non-EV load look smaller than it is. Less counts at once.
void SiteController::refresh_measured(std::size_t i) {
    auto& measured = model_.state.stations[i].measured;
    auto draw = reported_draw(i);
    if (stations_[i].rise_reported_at) {
        if (!measured || !draw) {
            measured.reset();  // nothing taken off until then, the safe direction
            return;
        }
        for (std::size_t p = 0; p < 3; ++p) (*draw)[p] = policy::min((*draw)[p], (*measured)[p]);
    }
    measured = draw;
}

// SPEC 3: a station whose vehicle measurably draws on fewer phases than the
// station has (a 1-phase car on a 3-phase station) counts its limit on
// those phases only. Measurably: two reports in a row, while it charges,
// show the same terminals carrying at least kChargingTerminal and the others
// under kIdleTerminal. Its vehicle's phases are fixed by its on-board
// charger for the session, so the others stay free until a report shows
// current on one of them (all its phases count again at once, and the plan
// lowers others to make room), or the vehicle may have changed: a status
// outside a charging session, a new transaction, a new connection.
void SiteController::refresh_vehicle_phases(std::size_t i) {
    auto& s = model_.state.stations[i];
    auto& rt = stations_[i];
    if (s.phase_count < 3) return;
    const auto draw = reported_total(i);
    if (!draw) return;
    policy::PhaseSet drawing;
    Amps peak;
    for (policy::Phase terminal : policy::kAllPhases) {
        const Amps a = (*draw)[policy::index(terminal)];
        if (a >= kIdleTerminal) drawing.insert(terminal);
        peak = policy::max(peak, a);
    }
    if (!s.vehicle_terminals.empty()) {
        if ((drawing.bits() & ~s.vehicle_terminals.bits()) == 0) return;
        log::info("ocpp: " + s.id + ": its vehicle draws on " + policy::format(drawing) + " now: all its phases count again");
        forget_vehicle_phases(i);
        return;
    }
    if (peak < kChargingTerminal || drawing.size() == 3) {
        rt.fewer_terminal_reports = 0;
        return;
    }
    if (drawing != rt.fewer_terminals_seen) {
        rt.fewer_terminals_seen = drawing;
        rt.fewer_terminal_reports = 0;
    }
    if (++rt.fewer_terminal_reports < kFewerPhasesReports) return;
    s.vehicle_terminals = drawing;
    log::info("ocpp: " + s.id + ": its vehicle draws on " + policy::format(drawing) +
              " of its terminals only: its limit counts on site " + policy::format(s.vehicle_phases()));
}

void SiteController::forget_vehicle_phases(std::size_t i) {
    model_.state.stations[i].vehicle_terminals = {};
    stations_[i].fewer_terminals_seen = {};
    stations_[i].fewer_terminal_reports = 0;
}

}  // namespace fuseguard::controller
