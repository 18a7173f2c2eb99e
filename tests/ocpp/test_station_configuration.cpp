// What fuseguard reads from a station before configuring it
// (drivers/ocpp/station_configuration.cpp).
#include <doctest/doctest.h>

#include "drivers/ocpp/comma_list.hpp"
#include "drivers/ocpp/station_configuration.hpp"

using namespace fuseguard::ocpp;
using nlohmann::json;

TEST_SUITE("station configuration") {
    TEST_CASE("a measurand is added to what the station samples, never put in its place") {
        CHECK(add_measurand("Energy.Active.Import.Register", "Current.Import") ==
              "Energy.Active.Import.Register,Current.Import");
        CHECK(add_measurand("Energy.Active.Import.Register, Current.Import", "Current.Import") ==
              "Energy.Active.Import.Register, Current.Import");
        CHECK(add_measurand("Current.Import.Offered,", "Current.Import") == "Current.Import.Offered,Current.Import");
        CHECK(add_measurand("", "Current.Import") == "Current.Import");
    }

    TEST_CASE("1.6: GetConfiguration's answer gives the measurands and the smart charging limits") {
        const auto req = read_configuration_request(Version::V16);
        CHECK(req.action == "GetConfiguration");
        const json answer = {{"configurationKey",
                              {{{"key", "MeterValuesSampledData"}, {"readonly", false}, {"value", "Energy.Active.Import.Register"}},
                               {{"key", "ChargeProfileMaxStackLevel"}, {"readonly", true}, {"value", "2"}},
                               {{"key", "ChargingScheduleMaxPeriods"}, {"readonly", true}, {"value", "12"}},
                               {{"key", "ChargingScheduleAllowedChargingRateUnit"}, {"readonly", true}, {"value", "Power"}}}},
                             {"unknownKey", json::array()}};
        const auto c = read_configuration_answer(Version::V16, answer);
        CHECK(c.sampled_measurands == "Energy.Active.Import.Register");
        REQUIRE(c.capabilities_read);
        CHECK(c.capabilities.max_stack_level == 2);
        CHECK(c.capabilities.max_periods == 12);
        CHECK_FALSE(c.capabilities.current_allowed);  // a station that takes watts only
        CHECK(c.capabilities.power_allowed);
    }

    TEST_CASE("2.0.1: GetVariables' answer, unknown variables skipped") {
        const auto req = read_configuration_request(Version::V201);
        CHECK(req.action == "GetVariables");
        CHECK(req.payload["getVariableData"].size() == 4);
        auto result = [](const char* component, const char* variable, const char* value) {
            return json{{"attributeStatus", "Accepted"}, {"attributeValue", value},
                        {"component", {{"name", component}}}, {"variable", {{"name", variable}}}};
        };
        json answer = {{"getVariableResult",
                        {result("SampledDataCtrlr", "TxUpdatedMeasurands", "Energy.Active.Import.Register"),
                         result("SmartChargingCtrlr", "ProfileStackLevel", "1"),
                         result("SmartChargingCtrlr", "PeriodsPerSchedule", "3"),
                         result("SmartChargingCtrlr", "RateUnit", "A,W")}}};
        auto c = read_configuration_answer(Version::V201, answer);
        CHECK(c.sampled_measurands == "Energy.Active.Import.Register");
        REQUIRE(c.capabilities_read);
        CHECK(c.capabilities.max_stack_level == 1);
        CHECK(c.capabilities.max_periods == 3);
        CHECK(c.capabilities.current_allowed);
        CHECK(c.capabilities.power_allowed);
        answer["getVariableResult"][1]["attributeStatus"] = "UnknownVariable";
        c = read_configuration_answer(Version::V201, answer);
        CHECK_FALSE(c.capabilities_read);  // one figure missing: the defaults stand
        CHECK(c.sampled_measurands == "Energy.Active.Import.Register");
    }

    TEST_CASE("an answer that cannot be read leaves the defaults") {
        for (const json& garbage : {json(nullptr), json("x"), json{{"configurationKey", 5}},
                                    json{{"configurationKey", {{{"key", 1}, {"value", "2"}}, "y"}}},
                                    json{{"configurationKey",
                                          {{{"key", "ChargeProfileMaxStackLevel"}, {"value", "-1"}},
                                           {{"key", "ChargingScheduleMaxPeriods"}, {"value", "9x"}},
                                           {{"key", "ChargingScheduleAllowedChargingRateUnit"}, {"value", "Current"}}}}}}) {
            CAPTURE(garbage.dump());
            const auto c = read_configuration_answer(Version::V16, garbage);
            CHECK_FALSE(c.capabilities_read);
            CHECK_FALSE(c.sampled_measurands);
            CHECK(c.capabilities.max_stack_level == ProfileCapabilities{}.max_stack_level);
        }
        CHECK_FALSE(read_configuration_answer(Version::V201, json{{"getVariableResult", {1, 2}}}).capabilities_read);
    }
}

TEST_SUITE("station configuration") {
    TEST_CASE("comma-separated lists: items in order, spaces trimmed, empty items kept") {
        CHECK(comma_list("Current, Power") == std::vector<std::string_view>{"Current", "Power"});
        CHECK(comma_list(" ocpp2.0.1 ,ocpp1.6") == std::vector<std::string_view>{"ocpp2.0.1", "ocpp1.6"});
        CHECK(comma_list("") == std::vector<std::string_view>{""});
        CHECK(comma_list("A,,W") == std::vector<std::string_view>{"A", "", "W"});
        CHECK(comma_list_has("A, W", "W"));
        CHECK_FALSE(comma_list_has("Current.Import.Offered", "Current.Import"));
    }
}
