// OCPP 2.0.1 CALLs from a station: one on_<action> each, one dispatch table.
#include <unordered_map>

#include "charger_session.hpp"
#include "drivers/iso8601.hpp"
#include "payload.hpp"
#include "server.hpp"

namespace fuseguard::ocpp {

using nlohmann::json;
using Result = std::variant<json, CallError>;

namespace {

struct Context {
    Server& server;
    const std::string& station;
    const Call& call;
    ChargerSession& session;
};

CallError error(const Context& cx, const PayloadError& e) { return CallError{cx.call.id, e.code, e.description, {}}; }

// Current.Import per phase from a 2.0.1 meterValue list (values are numbers).
std::optional<std::array<double, 3>> current_import(const json& meter_values) {
    if (!meter_values.is_array()) return std::nullopt;
    for (auto mv = meter_values.rbegin(); mv != meter_values.rend(); ++mv) {
        if (!mv->is_object() || !mv->contains("sampledValue") || !(*mv)["sampledValue"].is_array()) continue;
        std::array<double, 3> a{};
        bool any = false;
        for (const auto& s : (*mv)["sampledValue"]) {
            if (!s.is_object() || s.value("measurand", "") != "Current.Import" || !s.contains("phase")) continue;
            const std::string phase = s.value("phase", "");
            const int i = phase.rfind("L1", 0) == 0 ? 0 : phase.rfind("L2", 0) == 0 ? 1 : phase.rfind("L3", 0) == 0 ? 2 : -1;
            if (i < 0 || !s.contains("value") || !s["value"].is_number()) continue;
            a[static_cast<std::size_t>(i)] = s["value"].get<double>();
            any = true;
        }
        if (any) return a;
    }
    return std::nullopt;
}

Result on_boot_notification(Context& cx) {
    PayloadReader p(cx.call.payload);
    std::string reason, model, vendor;
    std::optional<std::string> firmware;
    p.choice("reason", reason,
             {"ApplicationReset", "FirmwareUpdate", "LocalReset", "PowerUp", "RemoteReset", "ScheduledReset",
              "Triggered", "Unknown", "Watchdog"});
    if (const auto* cs = p.object("chargingStation", true)) {
        PayloadReader c(*cs);
        c.text("model", model, 20);
        c.text("vendorName", vendor, 50);
        c.text("firmwareVersion", firmware, 50);
        if (!c.ok()) p.fail(c.error()->code, "chargingStation: " + c.error()->description);
    }
    if (!p.ok()) return error(cx, *p.error());
    cx.server.emit(StationBooted{cx.station, vendor, model, firmware});
    return json{{"currentTime", iso8601(std::chrono::system_clock::now())},
                {"interval", static_cast<int>(cx.server.config().heartbeat_interval_s)},
                {"status", "Accepted"}};
}

Result on_heartbeat(Context&) { return json{{"currentTime", iso8601(std::chrono::system_clock::now())}}; }

Result on_status_notification(Context& cx) {
    PayloadReader p(cx.call.payload);
    std::string timestamp, status;
    int evse = 0, connector = 0;
    p.text("timestamp", timestamp, 64);
    p.choice("connectorStatus", status, {"Available", "Occupied", "Reserved", "Unavailable", "Faulted"});
    p.integer("evseId", evse, 0);
    p.integer("connectorId", connector, 0);
    if (!p.ok()) return error(cx, *p.error());
    cx.server.emit(ConnectorStatusChanged{cx.station, evse, status, "NoError", std::nullopt, std::nullopt});
    return json::object();
}

Result on_notify_event(Context& cx) {
    PayloadReader p(cx.call.payload);
    std::string generated;
    int seq = 0;
    p.text("generatedAt", generated, 64);
    p.integer("seqNo", seq, 0);
    const auto* data = p.array("eventData", true);
    if (!p.ok()) return error(cx, *p.error());
    for (const auto& e : *data) {
        if (!e.is_object() || !e.contains("component") || !e.contains("variable") || !e["component"].is_object() ||
            !e["variable"].is_object())
            return CallError{cx.call.id, ErrorCode::OccurrenceConstraintViolation,
                             "eventData entries need component and variable", {}};
        const std::string variable = e["variable"].value("name", "");
        const std::string actual = e.value("actualValue", "");
        const bool problem = variable == "Problem" || e.value("trigger", "") == "Alerting" || e.contains("techCode");
        if (!problem) continue;
        ProblemReported r;
        r.id = cx.station;
        if (e["component"].contains("evse") && e["component"]["evse"].is_object())
            r.evse = e["component"]["evse"].value("id", 0);
        r.component = e["component"].value("name", "");
        r.variable = variable;
        r.value = actual;
        if (e.contains("techCode") && e["techCode"].is_string()) r.tech_code = e["techCode"].get<std::string>();
        if (e.contains("techInfo") && e["techInfo"].is_string()) r.tech_info = e["techInfo"].get<std::string>();
        r.cleared = e.value("cleared", false) || (variable == "Problem" && actual == "false");
        cx.server.emit(std::move(r));
    }
    return json::object();
}

// The idToken of `p` (required or not): its id, or none (and `p` failed
// when it is there and wrong).
std::optional<std::string> read_id_token(PayloadReader& p, bool required) {
    const auto* token = p.object("idToken", required);
    if (!token) return std::nullopt;
    std::string id, type;
    PayloadReader t(*token);
    t.text("idToken", id, 36);
    t.text("type", type, 32);
    if (!t.ok()) {
        p.fail(t.error()->code, "idToken: " + t.error()->description);
        return std::nullopt;
    }
    return id;
}

Result on_transaction_event(Context& cx) {
    PayloadReader p(cx.call.payload);
    std::string type, timestamp, trigger;
    int seq = 0;
    p.choice("eventType", type, {"Started", "Updated", "Ended"});
    p.text("timestamp", timestamp, 64);
    p.text("triggerReason", trigger, 64);
    p.integer("seqNo", seq, 0);
    const auto* info = p.object("transactionInfo", true);
    const auto tag = read_id_token(p, false);
    if (!p.ok()) return error(cx, *p.error());
    std::string tx;
    PayloadReader t(*info);
    t.text("transactionId", tx, 36);
    if (!t.ok()) return error(cx, *t.error());
    int evse = 0;
    if (cx.call.payload.contains("evse") && cx.call.payload["evse"].is_object())
        evse = cx.call.payload["evse"].value("id", 0);
    if (type != "Updated") {
        std::optional<std::string> reason;
        if (info->contains("stoppedReason") && (*info)["stoppedReason"].is_string())
            reason = (*info)["stoppedReason"].get<std::string>();
        cx.server.emit(TransactionChanged{cx.station, evse, type == "Started", tx, reason, tag});
        if (type == "Started" && evse > 0) cx.session.transaction_started(evse, tx);
        if (type == "Ended") cx.session.transaction_ended(tx);
    } else if (evse > 0) {
        cx.session.transaction_seen(evse, tx);
    }
    if (cx.call.payload.contains("meterValue"))
        if (auto draw = current_import(cx.call.payload["meterValue"]))
            cx.server.emit(DrawMeasured{cx.station, evse, *draw});
    if (tag) return json{{"idTokenInfo", {{"status", cx.server.authorization().status(*tag)}}}};
    return json::object();
}

Result on_meter_values(Context& cx) {
    PayloadReader p(cx.call.payload);
    int evse = 0;
    p.integer("evseId", evse, 0);
    const auto* values = p.array("meterValue", true);
    if (!p.ok()) return error(cx, *p.error());
    if (auto draw = current_import(*values)) cx.server.emit(DrawMeasured{cx.station, evse, *draw});
    return json::object();
}

Result on_security_event_notification(Context& cx) {
    PayloadReader p(cx.call.payload);
    std::string type, timestamp;
    std::optional<std::string> info;
    p.text("type", type, 50);
    p.text("timestamp", timestamp, 64);
    p.text("techInfo", info, 255);
    if (!p.ok()) return error(cx, *p.error());
    cx.server.emit(SecurityEventReported{cx.station, type, info});
    return json::object();
}

Result on_authorize(Context& cx) {
    PayloadReader p(cx.call.payload);
    const auto tag = read_id_token(p, true);
    if (!p.ok()) return error(cx, *p.error());
    return json{{"idTokenInfo", {{"status", cx.server.authorization().status(*tag)}}}};
}

Result on_notify_report(Context& cx) {
    PayloadReader p(cx.call.payload);
    int request = 0, seq = 0;
    std::string generated;
    p.integer("requestId", request);
    p.text("generatedAt", generated, 64);
    p.integer("seqNo", seq, 0);
    if (!p.ok()) return error(cx, *p.error());
    return json::object();
}

using Handler = Result (*)(Context&);
const std::unordered_map<std::string_view, Handler>& table() {
    static const std::unordered_map<std::string_view, Handler> t{
        {"BootNotification", on_boot_notification},
        {"Heartbeat", on_heartbeat},
        {"StatusNotification", on_status_notification},
        {"NotifyEvent", on_notify_event},
        {"TransactionEvent", on_transaction_event},
        {"MeterValues", on_meter_values},
        {"SecurityEventNotification", on_security_event_notification},
        {"Authorize", on_authorize},
        {"NotifyReport", on_notify_report},
    };
    return t;
}

}  // namespace

std::variant<json, CallError> ChargerSession::dispatch_v201(const Call& call) {
    const auto it = table().find(call.action);
    if (it == table().end())
        return CallError{call.id, ErrorCode::NotImplemented, "action " + call.action + " is not implemented", {}};
    Context cx{server_, id_, call, *this};
    return it->second(cx);
}

}  // namespace fuseguard::ocpp
