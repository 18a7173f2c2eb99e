#pragma once
// OCPP 1.6 SetChargingProfile (us -> station): one limit in amperes from now
// on, with the purpose the installer chose (SPEC 5).
#include <optional>
#include <string>
#include <variant>

#include "drivers/ocpp/payload.hpp"

namespace fuseguard::ocpp::v16 {

struct SetChargingProfileRequest {
    int connector_id = 0;             // 0 for ChargePointMaxProfile
    int charging_profile_id = 1;
    int stack_level = 0;
    std::string purpose = "ChargePointMaxProfile";  // or TxDefaultProfile
    double limit_a = 0;               // rounded down to 0.1 A when written
    std::optional<int> number_phases;
    nlohmann::json to_json() const;
};

struct SetChargingProfileResponse {
    std::string status;  // Accepted | Rejected | NotSupported
    static std::variant<SetChargingProfileResponse, PayloadError> from_json(const nlohmann::json& j);
};

}  // namespace fuseguard::ocpp::v16
