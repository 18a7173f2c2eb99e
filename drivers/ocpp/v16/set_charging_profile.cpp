#include "set_charging_profile.hpp"

#include <cmath>

namespace fuseguard::ocpp::v16 {

nlohmann::json SetChargingProfileRequest::to_json() const {
    // Never round a limit up: 16.29 A goes out as 16.2 A.
    const double limit = std::floor(limit_a * 10.0 + 1e-9) / 10.0;
    nlohmann::json period = {{"startPeriod", 0}, {"limit", limit}};
    if (number_phases) period["numberPhases"] = *number_phases;
    return {{"connectorId", connector_id},
            {"csChargingProfiles",
             {{"chargingProfileId", charging_profile_id},
              {"stackLevel", stack_level},
              {"chargingProfilePurpose", purpose},
              {"chargingProfileKind", "Relative"},
              {"chargingSchedule", {{"chargingRateUnit", "A"}, {"chargingSchedulePeriod", {period}}}}}}};
}

std::variant<SetChargingProfileResponse, PayloadError> SetChargingProfileResponse::from_json(const nlohmann::json& j) {
    SetChargingProfileResponse r;
    PayloadReader p(j);
    p.choice("status", r.status, {"Accepted", "Rejected", "NotSupported"});
    if (!p.ok()) return *p.error();
    return r;
}

}  // namespace fuseguard::ocpp::v16
