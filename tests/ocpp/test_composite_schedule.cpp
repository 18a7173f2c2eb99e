// GetCompositeSchedule and how fuseguard judges the answer
// (drivers/ocpp/composite_schedule.cpp).
#include <doctest/doctest.h>

#include "drivers/iso8601.hpp"
#include "drivers/ocpp/composite_schedule.hpp"
#include "drivers/ocpp/held_profiles.hpp"
#include "drivers/ocpp/limit_profiles.hpp"

using namespace fuseguard;
using namespace fuseguard::ocpp;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {
CompositeSchedule schedule(std::vector<SchedulePeriod> periods, std::optional<int> duration = std::nullopt) {
    CompositeSchedule c;
    c.periods = std::move(periods);
    c.duration_s = duration;
    return c;
}
// 20 A until the step 60 s from now, then the 6 A fallback, over 360 s.
const CompositeExpectation kExpect{20, 6, 60, 360};
}  // namespace

TEST_SUITE("charging profiles") {
    TEST_CASE("a composite that shows the limit, then the step to the fallback, verifies") {
        CHECK_FALSE(composite_disagreement(schedule({{0, 20, {}}, {60, 6, {}}}, 360), kExpect));
        // Less is the safe side: an earlier step, a lower limit, 0 A.
        CHECK_FALSE(composite_disagreement(schedule({{0, 20, {}}, {30, 6, {}}}), kExpect));
        CHECK_FALSE(composite_disagreement(schedule({{0, 0, {}}}), kExpect));
        // The station counts from its own transaction start, a moment earlier or later.
        CHECK_FALSE(composite_disagreement(schedule({{0, 20, {}}, {63, 6, {}}}), kExpect));
    }

    TEST_CASE("a composite that disagrees says why") {
        auto why = [](const CompositeSchedule& c) { return composite_disagreement(c, kExpect).value_or("agrees"); };
        CHECK(why(schedule({{0, 32, {}}, {60, 6, {}}})) == "it allows 32.0 A from +0 s, above its limit of 20.0 A");
        CHECK(why(schedule({{0, 20, {}}})) == "it allows 20.0 A at +65 s, after its step to the fallback of 6.0 A was due");
        CHECK(why(schedule({{0, 20, {}}, {120, 6, {}}})) ==
              "it allows 20.0 A at +65 s, after its step to the fallback of 6.0 A was due");
        CHECK(why(schedule({{0, 20, {}}}, 30)) == "its composite schedule ends after 30 s, before the step to the fallback at 65 s");
        CHECK(why(schedule({})) == "its composite schedule has no periods");
        CHECK(why(schedule({{10, 6, {}}})) == "its composite schedule does not start at once");
        CHECK(why(schedule({{0, 6, {}}, {0, 6, {}}})) == "its composite schedule's periods are out of order");
        // Built whole: GCC 12 reports a false -Wrestrict for assigning the unit.
        const CompositeSchedule watts{std::nullopt, std::nullopt, "W", {{0, 4000, {}}}};
        CHECK(why(watts) == "its composite schedule is in W, not A");
    }

    TEST_CASE("GetCompositeSchedule: requests and answers of both versions, and answers that are not") {
        CHECK(GetCompositeScheduleRequest{1, 360}.to_json(Version::V16) ==
              json{{"connectorId", 1}, {"duration", 360}, {"chargingRateUnit", "A"}});
        CHECK(GetCompositeScheduleRequest{2, 360}.to_json(Version::V201) ==
              json{{"evseId", 2}, {"duration", 360}, {"chargingRateUnit", "A"}});
        const auto v16 = GetCompositeScheduleResponse::from_json(
            json::parse(R"({"status":"Accepted","connectorId":1,"scheduleStart":"2026-12-05T10:00:00Z",
                "chargingSchedule":{"duration":360,"chargingRateUnit":"A",
                "chargingSchedulePeriod":[{"startPeriod":0,"limit":20},{"startPeriod":60,"limit":6}]}})"),
            Version::V16);
        REQUIRE(std::holds_alternative<GetCompositeScheduleResponse>(v16));
        const auto& a = std::get<GetCompositeScheduleResponse>(v16);
        REQUIRE(a.schedule);
        CHECK(a.schedule->schedule_start == "2026-12-05T10:00:00Z");
        CHECK(a.schedule->periods.size() == 2);
        CHECK_FALSE(composite_disagreement(*a.schedule, kExpect));
        const auto v201 = GetCompositeScheduleResponse::from_json(
            json::parse(R"({"status":"Accepted","schedule":{"evseId":1,"duration":360,"scheduleStart":"2026-12-05T10:00:00Z",
                "chargingRateUnit":"A","chargingSchedulePeriod":[{"startPeriod":0,"limit":6}]}})"),
            Version::V201);
        REQUIRE(std::holds_alternative<GetCompositeScheduleResponse>(v201));
        CHECK(std::get<GetCompositeScheduleResponse>(v201).schedule->periods.front().limit_a == 6);
        const auto rejected = GetCompositeScheduleResponse::from_json(json{{"status", "Rejected"}}, Version::V16);
        REQUIRE(std::holds_alternative<GetCompositeScheduleResponse>(rejected));
        CHECK_FALSE(std::get<GetCompositeScheduleResponse>(rejected).schedule);
        for (const char* bad : {R"({})", R"({"status":"Maybe"})", R"({"status":"Accepted","chargingSchedule":[]})",
                                R"({"status":"Accepted","chargingSchedule":{"chargingRateUnit":"A","chargingSchedulePeriod":[{"limit":"x"}]}})"}) {
            CAPTURE(bad);
            CHECK(std::holds_alternative<PayloadError>(GetCompositeScheduleResponse::from_json(json::parse(bad), Version::V16)));
        }
    }

    TEST_CASE("a station holding fuseguard's layers answers a composite that verifies, and one ignoring them does not") {
        LimitLayers l;
        l.purpose = config::ProfilePurpose::ChargePointMaxProfile;
        l.fallback_a = 6;
        l.failsafe_after_s = 300;
        l.capacity_a = 32;
        HeldProfiles held;
        const auto start = *parse_iso8601("2026-12-05T10:00:00Z");
        held.install(0, fallback_profile(6));
        held.install(0, station_limit_profile(l, 20));
        held.install(1, transaction_profile(l, transaction_amps(l, 20), 1, "5", 100));  // sent 100 s into it
        const auto now = start + 100s;
        const CompositeExpectation expect{20, 6, 300, 360};
        const auto c = held.composite(1, now, start, 360, 32);
        CHECK(c.periods.size() == 2);
        CHECK_FALSE(composite_disagreement(c, expect));
        // Idle: what the next transaction would get from the layers alone.
        CHECK_FALSE(composite_disagreement(held.composite(1, now, std::nullopt, 360, 32), {6, 6, 0, 360}));
        // Holding nothing (it accepted and ignored them): its capacity.
        CHECK(composite_disagreement(HeldProfiles{}.composite(1, now, start, 360, 32), expect) ==
              "it allows 32.0 A from +0 s, above its limit of 20.0 A");
    }
}
