// OCPP 1.6 payloads: valid ones read into their structs, invalid ones give
// the CALLERROR code the specification names.
#include <doctest/doctest.h>

#include "drivers/ocpp/limit_profiles.hpp"
#include "drivers/ocpp/v16/boot_notification.hpp"
#include "drivers/ocpp/v16/meter_values.hpp"
#include "drivers/ocpp/v16/set_charging_profile.hpp"
#include "drivers/ocpp/v16/status_notification.hpp"

using namespace fuseguard::ocpp;
using namespace fuseguard::ocpp::v16;
namespace config = fuseguard::config;
using nlohmann::json;

namespace {
template <class T>
PayloadError error_of(const json& j) {
    auto r = T::from_json(j);
    REQUIRE(std::holds_alternative<PayloadError>(r));
    return std::get<PayloadError>(r);
}
}  // namespace

TEST_SUITE("V16Messages") {
    TEST_CASE("BootNotification: fields, limits and codes") {
        auto ok = BootNotificationRequest::from_json(
            json{{"chargePointVendor", "ACME"}, {"chargePointModel", "Wallbox 22"}, {"firmwareVersion", "1.2.3"}});
        REQUIRE(std::holds_alternative<BootNotificationRequest>(ok));
        CHECK(std::get<BootNotificationRequest>(ok).firmware_version == "1.2.3");
        CHECK(error_of<BootNotificationRequest>(json{{"chargePointVendor", "ACME"}}).code ==
              ErrorCode::OccurrenceConstraintViolation);
        CHECK(error_of<BootNotificationRequest>(json{{"chargePointVendor", 5}, {"chargePointModel", "M"}}).code ==
              ErrorCode::TypeConstraintViolation);
        CHECK(error_of<BootNotificationRequest>(
                  json{{"chargePointVendor", std::string(21, 'x')}, {"chargePointModel", "M"}})
                  .code == ErrorCode::PropertyConstraintViolation);
        BootNotificationResponse res{"Accepted", "2026-11-25T12:00:00Z", 60};
        CHECK(res.to_json() == json{{"status", "Accepted"}, {"currentTime", "2026-11-25T12:00:00Z"}, {"interval", 60}});
    }

    TEST_CASE("StatusNotification: any errorCode with any status") {
        auto ok = StatusNotificationRequest::from_json(json{{"connectorId", 1},
                                                            {"errorCode", "GroundFailure"},
                                                            {"status", "Charging"},
                                                            {"vendorErrorCode", "CX014"},
                                                            {"info", "RCD tripped"}});
        REQUIRE(std::holds_alternative<StatusNotificationRequest>(ok));
        const auto& s = std::get<StatusNotificationRequest>(ok);
        CHECK(s.error_code == "GroundFailure");
        CHECK(s.status == "Charging");
        CHECK(s.vendor_error_code == "CX014");
        CHECK(error_of<StatusNotificationRequest>(
                  json{{"connectorId", 1}, {"errorCode", "Melted"}, {"status", "Charging"}})
                  .code == ErrorCode::PropertyConstraintViolation);
        CHECK(error_of<StatusNotificationRequest>(
                  json{{"connectorId", -1}, {"errorCode", "NoError"}, {"status", "Available"}})
                  .code == ErrorCode::PropertyConstraintViolation);
        CHECK(error_of<StatusNotificationRequest>(json{{"connectorId", "1"}, {"errorCode", "NoError"}, {"status", "Available"}})
                  .code == ErrorCode::TypeConstraintViolation);
    }

    TEST_CASE("MeterValues: Current.Import per phase is the measured draw") {
        const json mv = {{"connectorId", 1},
                         {"transactionId", 42},
                         {"meterValue",
                          {{{"timestamp", "2026-11-25T12:00:00Z"},
                            {"sampledValue",
                             {{{"value", "15.9"}, {"measurand", "Current.Import"}, {"phase", "L1"}, {"unit", "A"}},
                              {{"value", "16.1"}, {"measurand", "Current.Import"}, {"phase", "L2"}, {"unit", "A"}},
                              {{"value", "0"}, {"measurand", "Current.Import"}, {"phase", "L3-N"}, {"unit", "A"}},
                              {{"value", "12345"}, {"measurand", "Energy.Active.Import.Register"}}}}}}}};
        auto r = MeterValuesRequest::from_json(mv);
        REQUIRE(std::holds_alternative<MeterValuesRequest>(r));
        auto draw = std::get<MeterValuesRequest>(r).current_import();
        REQUIRE(draw);
        CHECK((*draw)[0] == doctest::Approx(15.9));
        CHECK((*draw)[1] == doctest::Approx(16.1));
        CHECK((*draw)[2] == doctest::Approx(0));
    }

    TEST_CASE("MeterValues: a garbled value is no draw, a bad structure is an error") {
        json mv = {{"connectorId", 1},
                   {"meterValue",
                    {{{"timestamp", "t"},
                      {"sampledValue", {{{"value", "lots"}, {"measurand", "Current.Import"}, {"phase", "L1"}}}}}}}};
        auto r = MeterValuesRequest::from_json(mv);
        REQUIRE(std::holds_alternative<MeterValuesRequest>(r));
        CHECK_FALSE(std::get<MeterValuesRequest>(r).current_import());
        CHECK(error_of<MeterValuesRequest>(json{{"connectorId", 1}}).code == ErrorCode::OccurrenceConstraintViolation);
        CHECK(error_of<MeterValuesRequest>(json{{"connectorId", 1}, {"meterValue", {1, 2}}}).code ==
              ErrorCode::TypeConstraintViolation);
        CHECK(error_of<MeterValuesRequest>(
                  json{{"connectorId", 1},
                       {"meterValue", {{{"timestamp", "t"}, {"sampledValue", {{{"value", "1"}, {"phase", "L9"}}}}}}}})
                  .code == ErrorCode::PropertyConstraintViolation);
    }

    TEST_CASE("SetChargingProfile: amperes rounded down to 0.1 A") {
        SetChargingProfileRequest req{0, station_limit_profile(config::ProfilePurpose::ChargePointMaxProfile, 16.29)};
        const json j = req.to_json();
        CHECK(j["csChargingProfiles"]["chargingProfilePurpose"] == "ChargePointMaxProfile");
        CHECK(j["csChargingProfiles"]["chargingSchedule"]["chargingRateUnit"] == "A");
        CHECK(j["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"].get<double>() ==
              doctest::Approx(16.2));
        auto res = SetChargingProfileResponse::from_json(json{{"status", "Rejected"}});
        CHECK(std::get<SetChargingProfileResponse>(res).status == "Rejected");
        CHECK(error_of<SetChargingProfileResponse>(json{{"status", "Maybe"}}).code ==
              ErrorCode::PropertyConstraintViolation);
    }
}
