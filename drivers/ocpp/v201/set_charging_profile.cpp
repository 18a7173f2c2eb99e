#include "set_charging_profile.hpp"

#include <cmath>

namespace fuseguard::ocpp::v201 {

nlohmann::json SetChargingProfileRequest::to_json() const {
    const double limit = std::floor(limit_a * 10.0 + 1e-9) / 10.0;  // never round a limit up
    return {{"evseId", evse_id},
            {"chargingProfile",
             {{"id", charging_profile_id},
              {"stackLevel", stack_level},
              {"chargingProfilePurpose", purpose},
              {"chargingProfileKind", "Relative"},
              {"chargingSchedule",
               {{{"id", charging_profile_id},
                 {"chargingRateUnit", "A"},
                 {"chargingSchedulePeriod", {{{"startPeriod", 0}, {"limit", limit}}}}}}}}}};
}

std::variant<SetChargingProfileResponse, PayloadError> SetChargingProfileResponse::from_json(const nlohmann::json& j) {
    SetChargingProfileResponse r;
    PayloadReader p(j);
    p.choice("status", r.status, {"Accepted", "Rejected"});
    if (!p.ok()) return *p.error();
    return r;
}

}  // namespace fuseguard::ocpp::v201
