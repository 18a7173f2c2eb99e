#include "set_charging_profile.hpp"

namespace fuseguard::ocpp::v16 {

nlohmann::json SetChargingProfileRequest::to_json() const {
    return {{"connectorId", connector_id}, {"csChargingProfiles", profile.to_json(Version::V16)}};
}

std::variant<SetChargingProfileRequest, PayloadError> SetChargingProfileRequest::from_json(const nlohmann::json& j) {
    SetChargingProfileRequest r;
    PayloadReader p(j);
    p.integer("connectorId", r.connector_id, 0);
    const auto* profile = p.object("csChargingProfiles", true);
    if (!p.ok()) return *p.error();
    auto parsed = ChargingProfile::from_json(*profile, Version::V16);
    if (auto* e = std::get_if<PayloadError>(&parsed)) return *e;
    r.profile = std::move(std::get<ChargingProfile>(parsed));
    return r;
}

std::variant<SetChargingProfileResponse, PayloadError> SetChargingProfileResponse::from_json(const nlohmann::json& j) {
    SetChargingProfileResponse r;
    PayloadReader p(j);
    p.choice("status", r.status, {"Accepted", "Rejected", "NotSupported"});
    if (!p.ok()) return *p.error();
    return r;
}

}  // namespace fuseguard::ocpp::v16
