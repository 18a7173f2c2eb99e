// SiteController, part: the transition plan carried out (SPEC 1, lower
// before raise, judged by what each station may draw), limits sent and the
// limits on their way.
#include "site_controller.hpp"

#include "drivers/log.hpp"

namespace fuseguard::controller {

using policy::Control;

namespace {
// A station lowered since its last report waits this long at most for a new
// one before it is raised again: a little more than the report interval
// fuseguard asks for (ocpp::outbound::kMeterSampleIntervalS).
constexpr auto kRaiseHold = std::chrono::seconds(15);
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

void SiteController::limit_raised(std::size_t i) {
    stations_[i].raised_at = now_steady();
    model_.state.stations[i].draw_predates_limit = true;
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
    target_ = policy::allocate(model_.tree, model_.state);
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
                !raise_held(cmd.station, now))
                send(cmd);
    };
    if (!in_flight().lowering) send_raises(false);
    if (const auto waiting = in_flight(); !waiting.lowering && !waiting.unconfirmed) send_raises(true);
    refresh_device_notifications();
    changed_();
}

}  // namespace fuseguard::controller
