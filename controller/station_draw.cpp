// SiteController, part: what each station draws, from its reports and the
// meter readings they are taken off (SPEC 4, a `total` meter).
#include "site_controller.hpp"

#include <algorithm>

#include "drivers/log.hpp"

namespace fuseguard::controller {

using policy::Amps;

namespace {
// How far back the limits sent are remembered for draw_floor.
constexpr auto kLimitMemory = std::chrono::seconds(60);
// A terminal drawing less than this carries none of the vehicle's current.
const Amps kIdleTerminal = Amps::whole(1);
// A vehicle drawing at least this on a terminal is charging, not starting
// up: on-board chargers that bring their phases up one by one are past that.
const Amps kChargingTerminal = Amps::whole(4);
// Rises of a station's report waiting for a meter reading that holds them.
constexpr std::size_t kMostPendingRises = 8;
// Reports in a row that must agree before the other phases are freed.
constexpr int kFewerPhasesReports = 2;
// When the k-th of the limits sent (StationRuntime::recent_limits) was
// replaced by the next; the last is in force still.
std::chrono::steady_clock::time_point limit_ends(
    const std::vector<std::pair<std::chrono::steady_clock::time_point, Amps>>& limits, std::size_t k) {
    return k + 1 < limits.size() ? limits[k + 1].first : std::chrono::steady_clock::time_point::max();
}
}  // namespace

// What a report stands for. A vehicle follows its station's limit with a
// lag of up to kVehicleResponse, so at a meter reading it may be drawing as
// little as the lowest limit in force at any moment in the kVehicleResponse
// (and the meter's averaging) before: a report taken before a lowering
// reached the vehicle, or a station lowered and raised again between two
// readings, may show a draw it does not have at the reading, and taking
// that off a `total` meter would make the non-EV load look smaller than it
// is. So the report is capped at that lowest limit, worked out at each
// reading (so that a reading and what is taken off it belong together).
// A pause may have stopped the vehicle for longer than that (a car may
// sleep): since kVehicleResponse before its report, it leaves nothing of
// the report until the next one. Limits replaced at the moment they were
// sent were never applied, and count for nothing.
void SiteController::on_meter_read(std::chrono::steady_clock::time_point at) {
    meter_read_ = true;
    for (std::size_t i = 0; i < stations_.size(); ++i) {
        auto& s = model_.state.stations[i];
        auto& rt = stations_[i];
        if (!s.measured && rt.pending_rises.empty()) {
            s.measured_most = {};  // its report was dropped: nothing to take off, either way
            continue;
        }
        if (policy::needs_station_draw(model_.state)) s.measured_most = draw_most(i, at);
        const Amps cap = policy::min(s.counted_now(), draw_floor(i, at).value_or(s.counted_now()));
        // The newest report of a rise this reading holds. Reports come as
        // often as readings (every second, when asked): the newest one is
        // rarely held yet, an older one is.
        auto held = rt.pending_rises.end();
        for (auto r = rt.pending_rises.begin(); r != rt.pending_rises.end() && at - r->arrived >= kMeterLag; ++r) held = r;
        // Most readings change neither: `measured` is already worked out from
        // the same reports, cap and wait.
        if (rt.report_cap == cap && held == rt.pending_rises.end()) continue;
        rt.report_cap = cap;
        if (held != rt.pending_rises.end()) {
            // What it draws now is no more than any report since.
            auto draw = held->draw;
            for (auto r = held; r != rt.pending_rises.end(); ++r)
                for (std::size_t p = 0; p < 3; ++p) draw[p] = policy::min(draw[p], r->draw[p]);
            rt.pending_rises.erase(rt.pending_rises.begin(), std::next(held));
            s.measured = draw;
        }
        refresh_measured(i);
    }
}

void SiteController::note_pending_rise(std::size_t i, std::chrono::steady_clock::time_point arrived) {
    auto& rt = stations_[i];
    const auto& measured = model_.state.stations[i].measured;
    const auto draw = reported_draw(i);
    bool more = false;
    for (std::size_t p = 0; draw && p < 3; ++p) more = more || (*draw)[p] > (measured ? (*measured)[p] : Amps{});
    // A report of no more than is taken off counts at once, and what it
    // says the vehicle draws now replaces the rises still waiting.
    if (!more) {
        rt.pending_rises.clear();
        return;
    }
    rt.pending_rises.push_back({arrived, *draw});
    // A reading holds a rise within a second; without readings (the meter
    // silent) a rise waits, and the oldest go first, the safe direction.
    if (rt.pending_rises.size() > kMostPendingRises) rt.pending_rises.erase(rt.pending_rises.begin());
}

std::optional<Amps> SiteController::draw_floor(std::size_t i, std::chrono::steady_clock::time_point at) const {
    const auto& rt = stations_[i];
    const auto window = kVehicleResponse + kMeterLag;
    const Amps pause = model_.state.settings.min_current;
    std::optional<Amps> floor;
    const auto& limits = rt.recent_limits;
    for (std::size_t k = 0; k < limits.size(); ++k) {
        const auto begins = limits[k].first;
        const auto ends = limit_ends(limits, k);
        if (ends <= begins) continue;
        const Amps limit = limits[k].second;
        if (limit < pause && ends > rt.reported_at - window) return Amps{};
        // In force within a response time before the reading (the vehicle
        // may be at it now), or since a response time before the report
        // (the report may predate its following it, and a vehicle that
        // followed a lowering need not take a raise after it).
        if (ends > std::min(at - window, rt.reported_at - kVehicleResponse)) floor = floor ? policy::min(*floor, limit) : limit;
    }
    return floor;
}

// The most a vehicle may draw at a reading: what its station reports, but
// no more than the highest limit it held within a response time before the
// reading, nor a limit it had to follow since the report; a report the
// reading may predate leaves what was most before. A lowering on its way
// may not have reached the vehicle yet, so this is the limit before it
// where the report shows that much, while `measured` is already the new
// limit. (A raise on its way is not counted here: a vehicle that follows it
// shows as non-EV load until it reports, the safe side, and it is asked to
// report; see ask_for_draw_with.) The non-EV load behind a total meter is
// at least the reading less this (policy::meter_deductions).
std::array<Amps, 3> SiteController::draw_most(std::size_t i, std::chrono::steady_clock::time_point at) const {
    const auto& rt = stations_[i];
    const auto& s = model_.state.stations[i];
    const auto window = kVehicleResponse + kMeterLag;
    std::array<Amps, 3> most = reported_total(i).value_or(std::array<Amps, 3>{});
    std::optional<Amps> held;
    const auto& limits = rt.recent_limits;
    for (std::size_t k = 0; k < limits.size(); ++k) {
        const auto begins = limits[k].first;
        const auto ends = limit_ends(limits, k);
        if (ends > begins && ends > at - window) held = held ? policy::max(*held, limits[k].second) : limits[k].second;
    }
    const Amps cap = policy::min(policy::min(held.value_or(s.max_current), s.max_current),
                                 draw_followed(i, at).value_or(s.max_current));
    for (std::size_t p = 0; p < 3; ++p) {
        most[p] = policy::min(most[p], cap);
        if (at - rt.reported_at < kMeterLag) most[p] = policy::max(most[p], s.measured_most[p]);
    }
    return most;
}

// The lowest limit a vehicle had to follow after its station's report and
// a meter's second before the reading: it draws no more than that since,
// unless it took a raise after it, which no vehicle has to (IEC 61851-1
// gives it 5 s to follow a lowering; a raise it may use or not). None when
// there is no such limit.
std::optional<Amps> SiteController::draw_followed(std::size_t i, std::chrono::steady_clock::time_point at) const {
    const auto& rt = stations_[i];
    std::optional<Amps> followed;
    const auto& limits = rt.recent_limits;
    for (std::size_t k = 0; k < limits.size(); ++k) {
        const auto begins = limits[k].first;
        const auto ends = limit_ends(limits, k);
        const auto reached = begins + kVehicleResponse;
        if (reached > rt.reported_at && reached <= ends && reached + kMeterLag <= at)
            followed = followed ? policy::min(*followed, limits[k].second) : limits[k].second;
    }
    return followed;
}

void SiteController::limit_sent(std::size_t i, Amps limit) {
    auto& rt = stations_[i];
    const auto now = now_steady();
    rt.recent_limits.emplace_back(now, limit);
    // draw_floor looks back kVehicleResponse and the meter's lag from the
    // last report and from now; a report older than kLimitMemory loses its
    // pauses (it is rarely that old: stations report every 10 s).
    const auto since = std::max(std::min(now, rt.reported_at), now - kLimitMemory) - kVehicleResponse - kMeterLag;
    auto& limits = rt.recent_limits;
    std::size_t old = 0;
    while (old + 1 < limits.size() && limits[old + 1].first <= since) ++old;
    limits.erase(limits.begin(), limits.begin() + static_cast<std::ptrdiff_t>(old));
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
    if (!stations_[i].pending_rises.empty()) {
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
