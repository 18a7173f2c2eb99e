// ChargerSession, part: verifying the failsafe (docs/ocpp.md "Failsafe").
// What fuseguard sent is not what the station will do: some stacks accept a
// profile and ignore it, drop profiles on a reboot, or combine them their
// own way. So after the layers change the station is asked for its composite
// schedule on each connector with a transaction (connector 1 when none) over
// the coming failsafe_after_s and a margin, and the answer must show at most
// the limit, then at most the fallback once the step is due.
#include <boost/asio/post.hpp>

#include <algorithm>
#include <memory>

#include "charger_session.hpp"
#include "composite_schedule.hpp"
#include "drivers/iso8601.hpp"
#include "drivers/log.hpp"
#include "server.hpp"

namespace fuseguard::ocpp {

namespace {
// Checks at most this often: a renewal, a transaction's start and a boot
// each ask for one, and each costs the station a call per connector.
constexpr auto kVerifyGap = std::chrono::seconds(30);
// The window reaches this far past the step, so that what follows the step
// is seen too.
constexpr int kWindowMarginS = 60;

// Why an answer does not verify anything, or nothing when it is a schedule
// to judge.
std::variant<CompositeSchedule, std::string> schedule_of(const ChargerSession::Answer& a, Version v) {
    if (const auto* e = std::get_if<CallError>(&a))
        return "it answered GetCompositeSchedule with " + std::string(name(e->code, v)) +
               (e->description.empty() ? "" : ": " + e->description);
    const auto* r = std::get_if<CallResult>(&a);
    if (!r) return std::string("it did not answer GetCompositeSchedule");
    auto parsed = GetCompositeScheduleResponse::from_json(r->payload, v);
    if (auto* e = std::get_if<PayloadError>(&parsed))
        return "its GetCompositeSchedule answer is not valid: " + e->description;
    auto& res = std::get<GetCompositeScheduleResponse>(parsed);
    if (res.status != "Accepted") return "it answered GetCompositeSchedule with " + res.status;
    if (!res.schedule) return std::string("its GetCompositeSchedule answer has no schedule");
    return std::move(*res.schedule);
}
}  // namespace

void ChargerSession::verify_failsafe() {
    // Not before its fallback layer is on its way: until then it would only
    // show that it is not there yet.
    if (!layers_sent_ || verify_requested_ || closed_) return;
    verify_requested_ = true;
    const auto now = Clock::now();
    verify_timer_.expires_at(last_verified_ ? std::max(*last_verified_ + kVerifyGap, now) : now);
    verify_timer_.async_wait([s = self()](boost::system::error_code ec) {
        if (ec || s->closed_) return;
        s->verify_requested_ = false;
        s->last_verified_ = Clock::now();
        s->check_composites();
    });
}

void ChargerSession::check_composites() {
    const auto* station = server_.station(id_);
    if (!station || !station->fallback_a) {
        server_.emit(FailsafeChecked{id_, FailsafeVerdict::Unsupported, "no fallback_current_a is configured"});
        return;
    }
    const LimitLayers l = layers();
    if (!l.fallback_a) {
        const auto& caps = station_config_.capabilities;
        server_.emit(FailsafeChecked{id_, FailsafeVerdict::Unsupported,
                                     "its smart charging cannot hold the failsafe layers (" +
                                         std::to_string(caps.max_periods) + " periods per schedule, stack levels up to " +
                                         std::to_string(caps.max_stack_level) + ")"});
        return;
    }
    // What each connector must show, fixed now: the calls go out after every
    // profile sent so far, and before any sent later.
    struct Check {
        int connector;
        CompositeExpectation expect;
    };
    std::vector<Check> checks;
    const int window = l.failsafe_after_s + kWindowMarginS;
    const double limit = limit_.value_or(l.capacity_a);
    const auto now = Clock::now();
    for (const auto& [connector, tx] : transactions_) {
        int step = 0;
        if (tx.steps_down_at)
            step = static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(*tx.steps_down_at - now).count());
        checks.push_back({connector, {limit, *l.fallback_a, std::max(step, 0), window}});
    }
    // No transaction: what the next one would get from the layers alone.
    if (checks.empty()) checks.push_back({1, {std::min(limit, *l.fallback_a), *l.fallback_a, 0, window}});

    struct Tally {
        std::size_t waiting = 0;
        std::optional<std::string> problem;
    };
    auto tally = std::make_shared<Tally>();
    tally->waiting = checks.size();
    for (const auto& c : checks) {
        call("GetCompositeSchedule", GetCompositeScheduleRequest{c.connector, window}.to_json(version_),
             [s = self(), tally, c](const Answer& a) {
                 auto got = schedule_of(a, s->version_);
                 if (auto* schedule = std::get_if<CompositeSchedule>(&got)) s->note_station_clock(*schedule);
                 if (!tally->problem) {
                     if (auto* why = std::get_if<std::string>(&got)) tally->problem = *why;
                     else if (auto d = composite_disagreement(std::get<CompositeSchedule>(got), c.expect))
                         tally->problem = "connector " + std::to_string(c.connector) + ": " + *d;
                 }
                 if (--tally->waiting > 0 || s->closed_) return;
                 s->server_.emit(FailsafeChecked{s->id_,
                                                 tally->problem ? FailsafeVerdict::Unverified : FailsafeVerdict::Verified,
                                                 tally->problem.value_or("")});
             });
    }
}

// Its scheduleStart is the station's "now" when it answered; taken as of
// when the answer arrived, the estimate is behind the station's clock by
// the answer's transit, so an Absolute step built on it comes a little
// early, never late.
void ChargerSession::note_station_clock(const CompositeSchedule& c) {
    if (!c.schedule_start) return;
    if (const auto start = parse_iso8601(*c.schedule_start))
        station_clock_offset_ = *start - std::chrono::system_clock::now();
}

void ChargerSession::learn_station_clock(std::function<void(bool known)> then) {
    call("GetCompositeSchedule", GetCompositeScheduleRequest{1, 1}.to_json(version_),
         [s = self(), then = std::move(then)](const Answer& a) {
             if (s->closed_) return;
             if (auto got = schedule_of(a, s->version_); auto* schedule = std::get_if<CompositeSchedule>(&got))
                 s->note_station_clock(*schedule);
             if (!s->station_clock_offset_)
                 log::warning("ocpp: " + s->id_ +
                              ": its clock is not known (no scheduleStart in its composite schedule): its transactions "
                              "stay on its fallback layer");
             then(s->station_clock_offset_.has_value());
         });
}

}  // namespace fuseguard::ocpp
