// SiteController, part: the transition plan carried out (SPEC 1, lower
// before raise, judged by what each station may draw), limits sent and the
// limits on their way.
#include "site_controller.hpp"

#include "drivers/log.hpp"
#include "policy/connector_status.hpp"

namespace fuseguard::controller {

using policy::Control;

namespace {
// A station lowered since its last report waits this long at most for a new
// one before it is raised again: a little more than the report interval
// fuseguard asks for (ocpp::outbound::kMeterSampleIntervalS).
constexpr auto kRaiseHold = std::chrono::seconds(15);
// Non-EV load that limit changes on their way may hide behind a total
// meter, below which raises go ahead (see carry_non_ev_estimate).
const policy::Amps kHiddenLoad = policy::Amps::whole(1);
}  // namespace

bool SiteController::send(const policy::LimitCommand& cmd) {
    auto& rt = stations_[cmd.station];
    const auto& queued = rt.in_flight;
    if (!queued.empty() && queued.back().limit == cmd.limit) return true;  // already on its way
    // A raise waits for the answers to what is on its way (the re-plan after
    // the last answer sends it); a lowering never waits.
    if (!queued.empty() && cmd.limit > queued.back().limit) return false;
    auto& s = model_.state.stations[cmd.station];
    if (!send_(s.id, cmd.limit.amps())) return false;
    ++limits_sent_;
    limit_sent(cmd.station, cmd.limit);
    // A raise may take effect before its answer: count it from now on.
    // A lowering counts only once it is confirmed.
    if (s.control == Control::Managed && cmd.limit > s.limit_in_force) {
        s.limit_in_force = cmd.limit;
        limit_raised(cmd.station);
    }
    rt.in_flight.push_back({cmd, now_steady()});
    return true;
}

// With a total meter, a station whose draw rose since it last reported
// shows up as non-EV load until it reports again, and that load lowers the
// stations it shares a fuse with; raised again a second later, they draw
// more, which reads as more non-EV load, and so on: limits swing every
// meter reading. A station lowered since its last report therefore keeps
// its lower limit until it reports again (or kRaiseHold has passed), so
// that it is raised on figures that hold. Skipping a raise is always safe:
// every station stays at or below its target; tick() re-plans every second,
// so a held raise goes out once the hold ends. Only a total meter swings
// this way, and only a lowering sent while a vehicle wanted current: one
// sent for being idle says nothing about the next vehicle (issue 19). A
// station paused for want of room holds too, though its report was dropped
// when it said its vehicle stopped: it reported since its vehicle came.
bool SiteController::raise_held(std::size_t i, std::chrono::steady_clock::time_point now) const {
    const auto& rt = stations_[i];
    return policy::needs_station_draw(model_.state) && rt.reported_at > rt.wants_since &&
           rt.lowered_at > rt.reported_at && now - rt.lowered_at < kRaiseHold;
}

// The non-EV load behind each total meter is carried to the next plan
// (policy::MeterInput::non_ev_before): a limit change on its way to a
// vehicle then moves neither it nor the limits, which breaks the loop of
// lowerings that each read as more non-EV load. What that may hide is the
// most the reading allows less the estimate. While that is more than
// kHiddenLoad at a meter, no station below it is raised: a building load
// that rose while limit changes hid it must never go to the stations (the
// plan lowers to fit the estimate meanwhile). The raises go out together
// once the lowerings have reached their vehicles, a response time later
// at most, or at the next reading when a report hid it.
void SiteController::carry_non_ev_estimate() {
    const auto& tree = model_.tree;
    raises_wait_.assign(tree.size(), false);
    for (std::size_t m = 0; m < model_.state.meters.size(); ++m) {
        auto& meter = model_.state.meters[m];
        const auto& d = target_.devices[m];
        if (meter.measures != policy::MeterMeasures::Total || d.rule != policy::DeductionRule::MeterMeasured) {
            meter.non_ev_before.reset();
            continue;
        }
        // Carried from plans on a new reading only: between readings, reports
        // and limits move the bounds against a reading that stays the same.
        if (meter_read_) meter.non_ev_before = d.current;
        for (auto p : policy::kAllPhases)
            if (target_.non_ev_most[m][p] - d.current[p] > kHiddenLoad) raises_wait_[meter.node.value] = true;
    }
    meter_read_ = false;
    // Down the tree: parents come first in preorder.
    for (std::uint32_t pos = 1; pos < tree.size(); ++pos) {
        const auto n = tree.at_preorder(pos);
        if (raises_wait_[tree.node(n).parent->value]) raises_wait_[n.value] = true;
    }
}

void SiteController::limit_raised(std::size_t i) {
    auto& rt = stations_[i];
    rt.raised_at = now_steady();
    model_.state.stations[i].draw_predates_limit = true;
    if (ask_draw_ && policy::needs_station_draw(model_.state)) rt.ask_draw_at = rt.raised_at + kVehicleResponse;
}

void SiteController::ask_for_draws(std::chrono::steady_clock::time_point now) {
    for (std::size_t i = 0; i < stations_.size(); ++i) {
        auto& rt = stations_[i];
        if (!rt.ask_draw_at || now < *rt.ask_draw_at) continue;
        rt.ask_draw_at.reset();
        const auto& s = model_.state.stations[i];
        // A report since its vehicle had the time to follow says it all.
        if (!ask_draw_ || !policy::is_online(s.state) || rt.reported_at >= rt.raised_at + kVehicleResponse) continue;
        // The connector with a vehicle; the station as a whole when there are
        // several or none.
        int connector = 0;
        for (const auto& [n, con] : rt.connectors)
            if (const auto st = policy::parse_connector_status(con.status); n > 0 && st && policy::wants_current(*st))
                connector = connector == 0 ? n : -1;
        ask_draw_(s.id, std::max(connector, 0));
    }
}

void SiteController::forget_in_flight(std::size_t i) {
    auto& rt = stations_[i];
    if (rt.in_flight.empty()) return;
    policy::apply_answer(model_.state, rt.in_flight.back(), policy::LimitOutcome::Unanswered);
    rt.in_flight.clear();
}

SiteController::InFlight SiteController::in_flight() const {
    InFlight out;
    for (std::size_t i = 0; i < stations_.size(); ++i) {
        const auto& s = model_.state.stations[i];
        const bool managed = s.control == Control::Managed;
        for (const auto& f : stations_[i].in_flight) {
            out.lowering = out.lowering || policy::cannot_raise(managed, s.least_held(), f.limit);
            out.unconfirmed = out.unconfirmed || !managed;
        }
    }
    return out;
}

// SPEC 1, from the stations' side: lowerings are sent at once. A limit for
// an unconfirmed station lowers what is counted for it (its capacity) but
// may raise what it draws: it waits until every lowering is answered. Raises
// of managed stations wait until those are answered too, since until then
// the unconfirmed ones are counted at capacity.
void SiteController::replan() {
    const LatencyHistogram::Timer timed(plan_latency_);
    last_plan_real_ = std::chrono::steady_clock::now();
    if (report_plan_armed_) {
        report_plan_armed_ = false;  // this plan holds the reports that waited
        report_plan_timer_.cancel();
    }
    target_ = policy::allocate(model_.tree, model_.state);
    carry_non_ev_estimate();
    const policy::TransitionPlan plan = target_.plan;  // kept apart from target_, which a re-plan replaces
    // On disk before any of them can reach a station: a restart must never
    // count a station at less than it may hold (one write per plan at most;
    // a raise held back below is recorded early, which errs high).
    if (held_limits_) {
        for (const auto* cmds : {&plan.lower, &plan.raise})
            for (const auto& cmd : *cmds) held_limits_->may_hold(model_.state.stations[cmd.station].id, cmd.limit.amps());
        held_limits_->flush();
    }
    for (const auto& cmd : plan.lower) send(cmd);
    const auto now = now_steady();
    auto send_raises = [&](bool of_managed) {
        for (const auto& cmd : plan.raise)
            if ((model_.state.stations[cmd.station].control == Control::Managed) == of_managed &&
                !raise_held(cmd.station, now) && !raises_wait(cmd.station))
                send(cmd);
    };
    if (!in_flight().lowering) send_raises(false);
    if (const auto waiting = in_flight(); !waiting.lowering && !waiting.unconfirmed) send_raises(true);
    refresh_device_notifications();
    changed_();
}

}  // namespace fuseguard::controller
