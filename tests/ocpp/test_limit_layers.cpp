// The failsafe layers fuseguard composes (limit_profiles.cpp) and what a
// station holding them allows over time (held_profiles.cpp).
#include <doctest/doctest.h>

#include "drivers/iso8601.hpp"
#include "drivers/ocpp/held_profiles.hpp"
#include "drivers/ocpp/limit_profiles.hpp"

using namespace fuseguard;
using namespace fuseguard::ocpp;
using namespace std::chrono_literals;

namespace {
LimitLayers layers(config::ProfilePurpose purpose, std::optional<double> fallback, int failsafe_s = 300) {
    LimitLayers l;
    l.purpose = purpose;
    l.fallback_a = fallback;
    l.failsafe_after_s = failsafe_s;
    return l;
}
const auto kMax = config::ProfilePurpose::ChargePointMaxProfile;
const auto kTxDefault = config::ProfilePurpose::TxDefaultProfile;
}  // namespace

TEST_SUITE("charging profiles") {
    TEST_CASE("ISO 8601 timestamps are read with their zone, and anything else is refused") {
        const auto t = parse_iso8601("2026-12-05T19:20:49Z");
        REQUIRE(t);
        CHECK(iso8601(*t) == "2026-12-05T19:20:49Z");
        CHECK(parse_iso8601("2026-12-05T20:20:49+01:00") == t);
        CHECK(parse_iso8601("2026-12-05T19:20:49.500Z") == *t + 500ms);
        CHECK(parse_iso8601("1970-01-01T00:00:00Z") == std::chrono::system_clock::time_point{});
        for (const char* bad : {"", "2026-12-05", "2026-12-05T19:20:49", "2026-13-05T19:20:49Z", "2026-12-05T19:20:49Zx",
                                "2026-12-05T19:20:49.Z", "2026-12-05T19:20:49+1:00", "yesterday"})
            CHECK_FALSE(parse_iso8601(bad));
        // Beyond what the clock holds (found by fuzz_ocpp_backend: an expiryDate in 4054 overflowed it):
        // "never" and "long ago", kept at 2200 and 1900.
        CHECK(parse_iso8601("9999-12-31T23:59:59Z") == parse_iso8601("2200-01-01T00:00:00Z"));
        CHECK(parse_iso8601("4054-01-01T00:00:00+05:00") == parse_iso8601("2200-01-01T00:00:00Z"));
        CHECK(parse_iso8601("0001-01-01T00:00:00Z") == parse_iso8601("1900-01-01T00:00:00Z"));
        CHECK(*parse_iso8601("9999-12-31T23:59:59Z") > *t);
    }

    TEST_CASE("a transaction's profile steps to the fallback failsafe_after_s from now, counted from its start") {
        const auto p = transaction_profile(layers(kMax, 6.0, 300), 20, 2, "17", 125);
        CHECK(p.purpose == ProfilePurpose::Tx);
        CHECK(p.kind == ProfileKind::Relative);
        CHECK(p.transaction_id == "17");
        CHECK(p.id == kTransactionProfileIdBase + 2);
        REQUIRE(p.periods.size() == 2);
        CHECK(p.periods[0].limit_a == 20);
        CHECK(p.periods[1].start_s == 425);  // 125 s into the transaction, plus 300
        CHECK(p.periods[1].limit_a == 6);
        // At the fallback already: nothing to step to.
        CHECK(transaction_profile(layers(kMax, 6.0), 6, 1, "1", 0).periods.size() == 1);
        // Without a fallback: the limit alone.
        CHECK(transaction_profile(layers(kMax, std::nullopt), 20, 1, "1", 0).periods.size() == 1);
    }

    TEST_CASE("the station limit with a fallback: a maximum as it is, a TxDefaultProfile above the layer at no more than it") {
        const auto max = station_limit_profile(layers(kMax, 6.0), 20);
        CHECK(max.purpose == ProfilePurpose::ChargePointMax);
        CHECK(max.periods[0].limit_a == 20);
        const auto def = station_limit_profile(layers(kTxDefault, 6.0), 20);
        CHECK(def.purpose == ProfilePurpose::TxDefault);
        CHECK(def.stack_level == 1);
        CHECK(def.periods[0].limit_a == 6);
        CHECK(station_limit_profile(layers(kTxDefault, 6.0), 0).periods[0].limit_a == 0);
        CHECK(station_limit_profile(layers(kTxDefault, std::nullopt), 20).stack_level == 0);
        const auto floor = fallback_profile(6);
        CHECK(floor.purpose == ProfilePurpose::TxDefault);
        CHECK(floor.stack_level == 0);
        CHECK(floor.kind == ProfileKind::Relative);
        // Every layer passes the rules with the least a station needs for them.
        ProfileTarget target;
        target.connector_count = 1;
        target.transactions[1] = "17";
        for (const auto& p : {max, def, floor}) CHECK_FALSE(profile_refusal(p, target, ProfileCapabilities{}, Version::V16));
        target.connector = 1;
        CHECK_FALSE(profile_refusal(transaction_profile(layers(kMax, 6.0), 20, 1, "17", 0), target, ProfileCapabilities{},
                                    Version::V201));
    }

    TEST_CASE("under a station maximum a transaction's profile allows the capacity, so only renewals change it") {
        auto max = layers(kMax, 6.0);
        max.capacity_a = 32;
        CHECK(transaction_amps(max, 20) == 32);
        CHECK(transaction_amps(max, 0) == 32);
        auto def = layers(kTxDefault, 6.0);
        def.capacity_a = 32;
        CHECK(transaction_amps(def, 20) == 20);  // a TxDefaultProfile does not cap it: it carries the limit
        CHECK(transaction_amps(layers(kMax, 6.0), 20) == 20);  // capacity not known: the limit
        // Whether they are sent with the limit depends on the layers alone:
        // a maximum at the capacity does not make them part of it.
        CHECK_FALSE(transactions_follow_limit(max));
        CHECK(transactions_follow_limit(def));
        CHECK(transactions_follow_limit(layers(kMax, 6.0)));
        // Held together: the maximum is the limit until the step, then the fallback.
        HeldProfiles held;
        const auto start = *parse_iso8601("2026-12-05T10:00:00Z");
        held.install(0, fallback_profile(6));
        held.install(0, station_limit_profile(max, 20));
        held.install(1, transaction_profile(max, transaction_amps(max, 20), 1, "5", 0));
        CHECK(held.limit_at(1, start + 10s, start) == 20);
        CHECK(held.limit_at(1, start + 300s, start) == 6);
    }

    TEST_CASE("layers need two periods, and a TxDefaultProfile station limit a stack level above 0") {
        CHECK(layers_fit(layers(kMax, 6.0), ProfileCapabilities{0, 2, true, false}));
        CHECK_FALSE(layers_fit(layers(kTxDefault, 6.0), ProfileCapabilities{0, 2, true, false}));
        CHECK(layers_fit(layers(kTxDefault, 6.0), ProfileCapabilities{1, 2, true, false}));
        CHECK_FALSE(layers_fit(layers(kMax, 6.0), ProfileCapabilities{5, 1, true, false}));
    }

    TEST_CASE("a station holding the layers: the transaction's profile until its step, then the fallback") {
        for (auto purpose : {kMax, kTxDefault}) {
            CAPTURE(static_cast<int>(purpose));
            const auto l = layers(purpose, 6.0, 300);
            HeldProfiles held;
            const auto start = *parse_iso8601("2026-12-05T10:00:00Z");
            held.install(0, fallback_profile(6));
            held.install(0, station_limit_profile(l, 20));
            // Before its transaction's profile arrives, a transaction gets the fallback.
            CHECK(held.limit_at(1, start + 1s, start) == 6);
            // Sent 100 s into the transaction: the step is at 400 s.
            held.install(1, transaction_profile(l, 20, 1, "5", 100));
            CHECK(held.limit_at(1, start + 101s, start) == 20);
            CHECK(held.limit_at(1, start + 399s, start) == 20);
            CHECK(held.limit_at(1, start + 400s, start) == 6);
            // A renewal at 350 s moves the step to 650 s.
            held.install(1, transaction_profile(l, 20, 1, "5", 350));
            CHECK(held.limit_at(1, start + 600s, start) == 20);
            CHECK(held.limit_at(1, start + 650s, start) == 6);
            // A station clock hours off changes nothing: the schedule counts from
            // the transaction's start by that same clock.
            const auto skew = 5h;
            CHECK(held.limit_at(1, start + skew + 600s, start + skew) == 20);
            CHECK(held.limit_at(1, start + skew + 650s, start + skew) == 6);
            // The transaction ends: a new one starts at the fallback again.
            held.transaction_ended(1);
            CHECK(held.limit_at(1, start + 700s, start + 700s) == 6);
            // Idle (no transaction): the station limit alone (and the layer).
            held.install(0, station_limit_profile(l, 0));
            CHECK(held.limit_at(1, start + 800s, std::nullopt) == 0);
        }
    }

    TEST_CASE("held profiles: replacement by id and by purpose and stack level, Absolute starts, durations") {
        HeldProfiles held;
        const auto now = *parse_iso8601("2026-12-05T10:00:00Z");
        CHECK_FALSE(held.limit_at(1, now, std::nullopt));
        auto max = station_limit_profile(kMax, 16);
        held.install(0, max);
        CHECK(held.limit_at(1, now, std::nullopt) == 16);
        max.periods[0].limit_a = 10;
        held.install(0, max);  // same id: replaced
        CHECK(held.limit_at(1, now, std::nullopt) == 10);
        ChargingProfile later = max;
        later.id = 99;
        later.stack_level = 1;
        later.start_schedule = "2026-12-05T11:00:00Z";
        later.periods[0].limit_a = 4;
        later.duration_s = 600;
        held.install(0, later);
        CHECK(held.limit_at(1, now, std::nullopt) == 10);             // not started: the lower level holds
        CHECK(held.limit_at(1, now + 1h + 1s, std::nullopt) == 4);    // the higher level once in force
        CHECK(held.limit_at(1, now + 1h + 600s, std::nullopt) == 10);  // past its duration
        ChargingProfile same_level = later;
        same_level.id = 98;
        held.install(0, same_level);  // same purpose and stack level: replaced
        CHECK_FALSE(held.empty());
        held.clear();
        CHECK(held.empty());
    }
}
