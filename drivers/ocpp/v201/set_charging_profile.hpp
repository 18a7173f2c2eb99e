#pragma once
// OCPP 2.0.1 SetChargingProfile (us -> station). ChargePointMaxProfile in
// the configuration is ChargingStationMaxProfile here (SPEC 5).
#include <optional>
#include <string>
#include <variant>

#include "drivers/ocpp/payload.hpp"

namespace fuseguard::ocpp::v201 {

struct SetChargingProfileRequest {
    int evse_id = 0;  // 0: the whole station
    int charging_profile_id = 1;
    int stack_level = 0;
    std::string purpose = "ChargingStationMaxProfile";  // or TxDefaultProfile
    double limit_a = 0;
    nlohmann::json to_json() const;
};

struct SetChargingProfileResponse {
    std::string status;  // Accepted | Rejected
    static std::variant<SetChargingProfileResponse, PayloadError> from_json(const nlohmann::json& j);
};

}  // namespace fuseguard::ocpp::v201
