// OCPP 2.0.1 CALLs from a station. This session speaks the basics (boot,
// heartbeat, connector status); the rest of 2.0.1 lands with issue 6.
#include "charger_session.hpp"
#include "server.hpp"

namespace fuseguard::ocpp {

using nlohmann::json;

std::string now_iso8601();

std::variant<json, CallError> ChargerSession::dispatch_v201(const Call& call) {
    const auto& p = call.payload;
    if (call.action == "BootNotification") {
        const auto cs = p.find("chargingStation");
        if (cs == p.end() || !cs->is_object() || !p.contains("reason"))
            return CallError{call.id, ErrorCode::OccurrenceConstraintViolation, "chargingStation and reason are required", {}};
        server_.emit(StationBooted{id_, cs->value("vendorName", ""), cs->value("model", ""), std::nullopt});
        return json{{"currentTime", now_iso8601()},
                    {"interval", static_cast<int>(server_.config().heartbeat_interval_s)},
                    {"status", "Accepted"}};
    }
    if (call.action == "Heartbeat") return json{{"currentTime", now_iso8601()}};
    if (call.action == "StatusNotification") {
        if (!p.contains("connectorStatus") || !p["connectorStatus"].is_string() || !p.contains("evseId") ||
            !p["evseId"].is_number_integer())
            return CallError{call.id, ErrorCode::OccurrenceConstraintViolation, "evseId and connectorStatus are required", {}};
        server_.emit(ConnectorStatusChanged{id_, p["evseId"].get<int>(), p["connectorStatus"].get<std::string>(),
                                            "NoError", std::nullopt, std::nullopt});
        return json::object();
    }
    return CallError{call.id, ErrorCode::NotImplemented, "action " + call.action + " is not implemented yet", {}};
}

}  // namespace fuseguard::ocpp
