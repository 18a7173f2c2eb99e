// OCPP 1.6 CALLs from a station: one on_<action> each, one dispatch table.
#include <chrono>
#include <unordered_map>

#include "charger_session.hpp"
#include "server.hpp"
#include "v16/boot_notification.hpp"
#include "v16/meter_values.hpp"
#include "v16/status_notification.hpp"

namespace fuseguard::ocpp {

using nlohmann::json;
using Result = std::variant<json, CallError>;

std::string now_iso8601();

namespace {

struct Context {
    Server& server;
    const std::string& station;
    const Call& call;
};

CallError payload_error(const Call& c, const PayloadError& e) { return CallError{c.id, e.code, e.description, {}}; }

Result on_boot_notification(Context& cx) {
    auto r = v16::BootNotificationRequest::from_json(cx.call.payload);
    if (auto* e = std::get_if<PayloadError>(&r)) return payload_error(cx.call, *e);
    const auto& req = std::get<v16::BootNotificationRequest>(r);
    cx.server.emit(StationBooted{cx.station, req.charge_point_vendor, req.charge_point_model, req.firmware_version});
    v16::BootNotificationResponse res{"Accepted", now_iso8601(), static_cast<int>(cx.server.config().heartbeat_interval_s)};
    return res.to_json();
}

Result on_heartbeat(Context&) { return json{{"currentTime", now_iso8601()}}; }

Result on_status_notification(Context& cx) {
    auto r = v16::StatusNotificationRequest::from_json(cx.call.payload);
    if (auto* e = std::get_if<PayloadError>(&r)) return payload_error(cx.call, *e);
    auto& s = std::get<v16::StatusNotificationRequest>(r);
    cx.server.emit(ConnectorStatusChanged{cx.station, s.connector_id, s.status, s.error_code, s.vendor_error_code, s.info});
    return json::object();
}

Result on_meter_values(Context& cx) {
    auto r = v16::MeterValuesRequest::from_json(cx.call.payload);
    if (auto* e = std::get_if<PayloadError>(&r)) return payload_error(cx.call, *e);
    const auto& mv = std::get<v16::MeterValuesRequest>(r);
    if (auto draw = mv.current_import()) cx.server.emit(DrawMeasured{cx.station, mv.connector_id, *draw});
    return json::object();
}

// Acknowledged so the station carries on; fuseguard has nothing to add.
Result on_acknowledge(Context&) { return json::object(); }

Result on_authorize(Context&) { return json{{"idTagInfo", {{"status", "Accepted"}}}}; }

Result on_data_transfer(Context&) { return json{{"status", "UnknownVendorId"}}; }

Result on_start_transaction(Context& cx) {
    static int next_transaction = 1;
    (void)cx;
    return json{{"transactionId", next_transaction++}, {"idTagInfo", {{"status", "Accepted"}}}};
}

Result on_stop_transaction(Context&) { return json::object(); }

using Handler = Result (*)(Context&);
const std::unordered_map<std::string_view, Handler>& table() {
    static const std::unordered_map<std::string_view, Handler> t{
        {"BootNotification", on_boot_notification},
        {"Heartbeat", on_heartbeat},
        {"StatusNotification", on_status_notification},
        {"MeterValues", on_meter_values},
        {"Authorize", on_authorize},
        {"StartTransaction", on_start_transaction},
        {"StopTransaction", on_stop_transaction},
        {"DataTransfer", on_data_transfer},
        {"SecurityEventNotification", on_acknowledge},
        {"DiagnosticsStatusNotification", on_acknowledge},
        {"FirmwareStatusNotification", on_acknowledge},
    };
    return t;
}

}  // namespace

std::variant<json, CallError> ChargerSession::dispatch_v16(const Call& call) {
    const auto it = table().find(call.action);
    if (it == table().end())
        return CallError{call.id, ErrorCode::NotImplemented, "action " + call.action + " is not implemented", {}};
    Context cx{server_, id_, call};
    return it->second(cx);
}

std::string now_iso8601() {
    const auto now = std::chrono::system_clock::now();
    const std::time_t t = std::chrono::system_clock::to_time_t(now);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

}  // namespace fuseguard::ocpp
