#include "outbound.hpp"

namespace fuseguard::ocpp::outbound {

using nlohmann::json;

std::vector<Request> configure_request(Version v, const config::OcppConfig& cfg, const std::string& measurands) {
    const std::string heartbeat = std::to_string(static_cast<int>(cfg.heartbeat_interval_s));
    const std::string ping = std::to_string(static_cast<int>(cfg.ping_interval_s));
    const std::string sample = std::to_string(kMeterSampleIntervalS);
    if (v == Version::V16) {
        auto set = [](std::string key, std::string value) {
            return Request{"ChangeConfiguration", json{{"key", std::move(key)}, {"value", std::move(value)}}};
        };
        return {set("HeartbeatInterval", heartbeat), set("WebSocketPingInterval", ping),
                set("MeterValueSampleInterval", sample), set("MeterValuesSampledData", measurands)};
    }
    auto var = [](const char* component, const char* variable, std::string value) {
        return json{{"component", {{"name", component}}},
                    {"variable", {{"name", variable}}},
                    {"attributeValue", std::move(value)}};
    };
    return {Request{"SetVariables",
                    json{{"setVariableData",
                          {var("OCPPCommCtrlr", "HeartbeatInterval", heartbeat),
                           var("OCPPCommCtrlr", "WebSocketPingInterval", ping),
                           var("SampledDataCtrlr", "TxUpdatedInterval", sample),
                           var("SampledDataCtrlr", "TxUpdatedMeasurands", measurands)}}}}};
}

Request trigger_status_request(Version) {
    return Request{"TriggerMessage", json{{"requestedMessage", "StatusNotification"}}};
}

Request trigger_meter_values_request(Version v, int connector) {
    json payload{{"requestedMessage", "MeterValues"}};
    if (connector > 0) {
        if (v == Version::V16)
            payload["connectorId"] = connector;
        else
            payload["evse"] = json{{"id", connector}};
    }
    return Request{"TriggerMessage", std::move(payload)};
}

Request reset_request(Version v) {
    return Request{"Reset", json{{"type", v == Version::V16 ? "Soft" : "Immediate"}}};
}

Request unlock_connector_request(Version v, int connector) {
    if (v == Version::V16) return Request{"UnlockConnector", json{{"connectorId", connector}}};
    return Request{"UnlockConnector", json{{"evseId", connector}, {"connectorId", 1}}};
}

Request clear_charging_profile_request(Version v, config::ProfilePurpose purpose) {
    const bool max = purpose == config::ProfilePurpose::ChargePointMaxProfile;
    if (v == Version::V16)
        return Request{"ClearChargingProfile",
                       json{{"chargingProfilePurpose", max ? "ChargePointMaxProfile" : "TxDefaultProfile"}}};
    return Request{"ClearChargingProfile",
                   json{{"chargingProfileCriteria",
                         {{"chargingProfilePurpose", max ? "ChargingStationMaxProfile" : "TxDefaultProfile"}}}}};
}

std::string answer_status(const json& payload) {
    if (payload.is_object()) {
        const auto it = payload.find("status");
        if (it != payload.end() && it->is_string()) return it->get<std::string>();
        // SetVariables answers one status per variable.
        const auto results = payload.find("setVariableResult");
        if (results != payload.end() && results->is_array()) {
            for (const auto& r : *results)
                if (!r.is_object() || r.value("attributeStatus", "") != "Accepted") return "Rejected";
            return "Accepted";
        }
    }
    return "";
}

}  // namespace fuseguard::ocpp::outbound
