#pragma once
// OCPP 2.0.1 SetChargingProfile (us -> station): a profile for an EVSE (0:
// the whole station). ChargePointMaxProfile in the configuration is
// ChargingStationMaxProfile here (SPEC 5).
#include <string>
#include <variant>

#include "drivers/ocpp/charging_profile.hpp"

namespace fuseguard::ocpp::v201 {

struct SetChargingProfileRequest {
    int evse_id = 0;
    ChargingProfile profile;
    nlohmann::json to_json() const;
    static std::variant<SetChargingProfileRequest, PayloadError> from_json(const nlohmann::json& j);
};

struct SetChargingProfileResponse {
    std::string status;  // Accepted | Rejected
    static std::variant<SetChargingProfileResponse, PayloadError> from_json(const nlohmann::json& j);
};

}  // namespace fuseguard::ocpp::v201
