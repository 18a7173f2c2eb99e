// Charging profiles as written and read (charging_profile.cpp), the rules
// station stacks check them against (profile_rules.cpp), and the limit
// profile fuseguard composes (limit_profiles.cpp).
#include <doctest/doctest.h>

#include "drivers/ocpp/limit_profiles.hpp"
#include "drivers/ocpp/profile_rules.hpp"
#include "drivers/ocpp/v16/set_charging_profile.hpp"
#include "drivers/ocpp/v201/set_charging_profile.hpp"

using namespace fuseguard::ocpp;
namespace config = fuseguard::config;
using nlohmann::json;

namespace {

ChargingProfile tx_profile(std::string tx) {
    ChargingProfile p;
    p.id = 7;
    p.stack_level = 1;
    p.purpose = ProfilePurpose::Tx;
    p.kind = ProfileKind::Relative;
    p.transaction_id = std::move(tx);
    p.periods = {{0, 16, std::nullopt}, {300, 6, std::nullopt}};
    return p;
}

ProfileTarget connector(int c, std::map<int, std::string> tx = {}) {
    ProfileTarget t;
    t.connector = c;
    t.connector_count = 2;
    t.transactions = std::move(tx);
    return t;
}

}  // namespace

TEST_SUITE("charging profiles") {
    TEST_CASE("a profile reads back as it was written, in 1.6 and 2.0.1") {
        for (Version v : {Version::V16, Version::V201}) {
            CAPTURE(subprotocol(v));
            ChargingProfile p = tx_profile("42");
            p.periods[0].number_phases = 1;
            p.duration_s = 900;
            auto back = ChargingProfile::from_json(p.to_json(v), v);
            REQUIRE(std::holds_alternative<ChargingProfile>(back));
            const auto& r = std::get<ChargingProfile>(back);
            CHECK(r.id == 7);
            CHECK(r.stack_level == 1);
            CHECK(r.purpose == ProfilePurpose::Tx);
            CHECK(r.kind == ProfileKind::Relative);
            CHECK(r.transaction_id == "42");
            CHECK(r.duration_s == 900);
            REQUIRE(r.periods.size() == 2);
            CHECK(r.periods[1].start_s == 300);
            CHECK(r.periods[1].limit_a == doctest::Approx(6));
            CHECK(r.periods[0].number_phases == 1);
        }
        // 1.6 carries the transaction as an integer, 2.0.1 as a string.
        CHECK(tx_profile("42").to_json(Version::V16)["transactionId"] == 42);
        CHECK(tx_profile("42").to_json(Version::V201)["transactionId"] == "42");
    }

    TEST_CASE("a purpose named for the other version, or a malformed schedule, is a payload error") {
        json j = station_limit_profile(config::ProfilePurpose::ChargePointMaxProfile, 16).to_json(Version::V16);
        CHECK(std::holds_alternative<PayloadError>(ChargingProfile::from_json(j, Version::V201)));
        json k = tx_profile("1").to_json(Version::V16);
        k["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"] = "16";
        CHECK(std::get<PayloadError>(ChargingProfile::from_json(k, Version::V16)).code ==
              ErrorCode::TypeConstraintViolation);
        json w = tx_profile("1").to_json(Version::V201);
        w["chargingSchedule"] = json::array();
        CHECK(std::holds_alternative<PayloadError>(ChargingProfile::from_json(w, Version::V201)));
        auto req = v16::SetChargingProfileRequest::from_json(json{{"connectorId", -1}, {"csChargingProfiles", k}});
        CHECK(std::holds_alternative<PayloadError>(req));
    }

    TEST_CASE("the rules of real station stacks") {
        const ProfileCapabilities caps{3, 4, true, false};
        for (Version v : {Version::V16, Version::V201}) {
            CAPTURE(subprotocol(v));
            ChargingProfile max = station_limit_profile(config::ProfilePurpose::ChargePointMaxProfile, 20);
            CHECK_FALSE(profile_refusal(max, connector(0), caps, v));
            // EVerest libocpp, 2.0.1 K01.FR.38: a station maximum is never Relative.
            ChargingProfile relative = max;
            relative.kind = ProfileKind::Relative;
            relative.start_schedule.reset();
            CHECK(profile_refusal(relative, connector(0), caps, v));
            CHECK(profile_refusal(max, connector(1), caps, v));  // station-wide: connector 0 only

            // A TxProfile needs its transaction running on that connector.
            CHECK_FALSE(profile_refusal(tx_profile("5"), connector(1, {{1, "5"}}), caps, v));
            CHECK(profile_refusal(tx_profile("5"), connector(1), caps, v));
            CHECK(profile_refusal(tx_profile("5"), connector(1, {{1, "6"}}), caps, v));
            CHECK(profile_refusal(tx_profile("5"), connector(0, {{1, "5"}}), caps, v));
            ChargingProfile anonymous = tx_profile("5");
            anonymous.transaction_id.reset();
            CHECK(profile_refusal(anonymous, connector(1, {{1, "5"}}), caps, v).has_value() == (v == Version::V201));

            // The station's own limits.
            ChargingProfile high = max;
            high.stack_level = 4;
            CHECK(profile_refusal(high, connector(0), caps, v));
            ChargingProfile many = max;
            many.periods = {{0, 1, {}}, {60, 2, {}}, {120, 3, {}}, {180, 4, {}}, {240, 5, {}}};
            CHECK(profile_refusal(many, connector(0), caps, v));
            ChargingProfile watts = max;
            watts.rate_unit = "W";
            CHECK(profile_refusal(watts, connector(0), caps, v));
            CHECK(profile_refusal(max, connector(3), caps, v));  // no such connector

            // Schedules that make no sense.
            ChargingProfile late = max;
            late.periods[0].start_s = 10;
            CHECK(profile_refusal(late, connector(0), caps, v));
            ChargingProfile unordered = tx_profile("5");
            unordered.periods[1].start_s = 0;
            CHECK(profile_refusal(unordered, connector(1, {{1, "5"}}), caps, v));
            ChargingProfile no_start = max;
            no_start.start_schedule.reset();
            CHECK(profile_refusal(no_start, connector(0), caps, v));
            ChargingProfile relative_with_start = tx_profile("5");
            relative_with_start.start_schedule = "2026-01-01T00:00:00Z";
            CHECK(profile_refusal(relative_with_start, connector(1, {{1, "5"}}), caps, v));
        }
    }

    TEST_CASE("the limit profile passes the rules for both purposes and both versions") {
        for (Version v : {Version::V16, Version::V201})
            for (auto purpose : {config::ProfilePurpose::ChargePointMaxProfile, config::ProfilePurpose::TxDefaultProfile}) {
                const ChargingProfile p = station_limit_profile(purpose, 13.37);
                CAPTURE(name(p.purpose, v));
                CAPTURE(subprotocol(v));
                CHECK_FALSE(profile_refusal(p, connector(0), ProfileCapabilities{}, v));
                const json j = v == Version::V16 ? v16::SetChargingProfileRequest{0, p}.to_json()
                                                 : v201::SetChargingProfileRequest{0, p}.to_json();
                // What the station reads back is what was checked.
                if (v == Version::V16) {
                    auto back = v16::SetChargingProfileRequest::from_json(j);
                    REQUIRE(std::holds_alternative<v16::SetChargingProfileRequest>(back));
                    CHECK(std::get<v16::SetChargingProfileRequest>(back).profile.periods[0].limit_a ==
                          doctest::Approx(13.3));
                } else {
                    auto back = v201::SetChargingProfileRequest::from_json(j);
                    REQUIRE(std::holds_alternative<v201::SetChargingProfileRequest>(back));
                    CHECK(std::get<v201::SetChargingProfileRequest>(back).profile.kind == p.kind);
                }
            }
        CHECK(station_limit_profile(config::ProfilePurpose::ChargePointMaxProfile, 6).kind == ProfileKind::Absolute);
    }
}
