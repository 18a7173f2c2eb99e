#include "composite_schedule.hpp"

#include <cstdio>

namespace fuseguard::ocpp {

using nlohmann::json;

namespace {
// Limits are compared after the 0.1 A rounding both sides apply.
constexpr double kTolerance = 0.05;

std::string amps_text(double a) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f A", a);
    return buf;
}
}  // namespace

json GetCompositeScheduleRequest::to_json(Version v) const {
    return {{v == Version::V16 ? "connectorId" : "evseId", connector},
            {"duration", duration_s},
            {"chargingRateUnit", "A"}};
}

std::variant<GetCompositeScheduleRequest, PayloadError> GetCompositeScheduleRequest::from_json(const json& j,
                                                                                                 Version v) {
    GetCompositeScheduleRequest r;
    PayloadReader p(j);
    p.integer(v == Version::V16 ? "connectorId" : "evseId", r.connector, 0);
    p.integer("duration", r.duration_s, 0);
    std::optional<std::string> unit;
    p.choice("chargingRateUnit", unit, {"A", "W"});
    if (!p.ok()) return *p.error();
    return r;
}

json GetCompositeScheduleResponse::to_json(Version v, int connector) const {
    json j = {{"status", status}};
    if (!schedule) return j;
    json s = charging_schedule_json(schedule->rate_unit, schedule->periods, std::nullopt, schedule->duration_s);
    // The station's "now": fuseguard learns the station's clock from it, so
    // it is written only when there is one (2.0.1 requires it).
    if (v == Version::V16) {
        j["connectorId"] = connector;
        if (schedule->schedule_start) j["scheduleStart"] = *schedule->schedule_start;
        j["chargingSchedule"] = std::move(s);
    } else {
        s["evseId"] = connector;
        if (schedule->schedule_start) s["scheduleStart"] = *schedule->schedule_start;
        s["duration"] = schedule->duration_s.value_or(0);
        j["schedule"] = std::move(s);
    }
    return j;
}

std::variant<GetCompositeScheduleResponse, PayloadError> GetCompositeScheduleResponse::from_json(const json& j,
                                                                                                   Version v) {
    GetCompositeScheduleResponse r;
    PayloadReader p(j);
    p.choice("status", r.status, {"Accepted", "Rejected"});
    std::optional<std::string> start;
    const json* schedule = nullptr;
    if (v == Version::V16) {
        p.text("scheduleStart", start, 64);
        schedule = p.object("chargingSchedule", false);
    } else {
        schedule = p.object("schedule", false);
    }
    if (!p.ok()) return *p.error();
    if (!schedule) return r;
    if (v == Version::V201) {
        PayloadReader s(*schedule);
        s.text("scheduleStart", start, 64);
        if (!s.ok()) return *s.error();
    }
    ChargingProfile read;
    if (auto e = read_charging_schedule(*schedule, read)) return *e;
    r.schedule = CompositeSchedule{start ? start : read.start_schedule, read.duration_s, read.rate_unit,
                                   std::move(read.periods)};
    return r;
}

std::optional<std::string> composite_disagreement(const CompositeSchedule& c, const CompositeExpectation& e) {
    if (c.rate_unit != "A") return "its composite schedule is in " + c.rate_unit + ", not A";
    if (c.periods.empty()) return std::string("its composite schedule has no periods");
    if (c.periods.front().start_s != 0) return std::string("its composite schedule does not start at once");
    for (std::size_t i = 1; i < c.periods.size(); ++i)
        if (c.periods[i].start_s <= c.periods[i - 1].start_s)
            return std::string("its composite schedule's periods are out of order");
    const int step = std::max(e.step_after_s, 0) + kStepSlackS;
    // A schedule that ends before the step says nothing about it; one that
    // ends later is taken to end with the window.
    const int covers = c.duration_s.value_or(e.window_s);
    if (covers < std::min(step, e.window_s))
        return "its composite schedule ends after " + std::to_string(covers) + " s, before the step to the fallback at " +
               std::to_string(step) + " s";
    for (std::size_t i = 0; i < c.periods.size(); ++i) {
        const auto& p = c.periods[i];
        const int end = i + 1 < c.periods.size() ? c.periods[i + 1].start_s : std::max(covers, e.window_s);
        if (p.start_s >= e.window_s) break;
        if (p.limit_a > e.limit_a + kTolerance && p.start_s < step)
            return "it allows " + amps_text(p.limit_a) + " from +" + std::to_string(p.start_s) + " s, above its limit of " +
                   amps_text(e.limit_a);
        if (p.limit_a > e.fallback_a + kTolerance && end > step)
            return "it allows " + amps_text(p.limit_a) + " at +" + std::to_string(std::max(p.start_s, step)) +
                   " s, after its step to the fallback of " + amps_text(e.fallback_a) + " was due";
    }
    return std::nullopt;
}

}  // namespace fuseguard::ocpp
