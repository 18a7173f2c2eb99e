#pragma once
// OCPP 1.6 SetChargingProfile (us -> station): a profile for a connector (0:
// the whole station). What the profiles say is composed in limit_profiles.hpp.
#include <string>
#include <variant>

#include "drivers/ocpp/charging_profile.hpp"

namespace fuseguard::ocpp::v16 {

struct SetChargingProfileRequest {
    int connector_id = 0;
    ChargingProfile profile;
    nlohmann::json to_json() const;
    static std::variant<SetChargingProfileRequest, PayloadError> from_json(const nlohmann::json& j);
};

struct SetChargingProfileResponse {
    std::string status;  // Accepted | Rejected | NotSupported
    static std::variant<SetChargingProfileResponse, PayloadError> from_json(const nlohmann::json& j);
};

}  // namespace fuseguard::ocpp::v16
