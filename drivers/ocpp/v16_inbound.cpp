// OCPP 1.6 CALLs from a station: one on_<action> each, one dispatch table.
#include <chrono>
#include <limits>
#include <unordered_map>

#include "charger_session.hpp"
#include "server.hpp"
#include "v16/boot_notification.hpp"
#include "v16/meter_values.hpp"
#include "v16/notifications.hpp"
#include "drivers/iso8601.hpp"
#include "drivers/log.hpp"
#include "v16/status_notification.hpp"
#include "v16/transactions.hpp"

namespace fuseguard::ocpp {

using nlohmann::json;
using Result = std::variant<json, CallError>;

namespace {

struct Context {
    Server& server;
    const std::string& station;
    const Call& call;
    int& next_transaction;
    ChargerSession& session;
};

CallError payload_error(const Call& c, const PayloadError& e) { return CallError{c.id, e.code, e.description, {}}; }

Result on_boot_notification(Context& cx) {
    auto r = v16::BootNotificationRequest::from_json(cx.call.payload);
    if (auto* e = std::get_if<PayloadError>(&r)) return payload_error(cx.call, *e);
    const auto& req = std::get<v16::BootNotificationRequest>(r);
    cx.server.emit(StationBooted{cx.station, req.charge_point_vendor, req.charge_point_model, req.firmware_version});
    v16::BootNotificationResponse res{"Accepted", iso8601(std::chrono::system_clock::now()), static_cast<int>(cx.server.config().heartbeat_interval_s)};
    return res.to_json();
}

Result on_heartbeat(Context&) { return json{{"currentTime", iso8601(std::chrono::system_clock::now())}}; }

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
    if (mv.transaction_id) {
        // Ids we hand out later must not be this one.
        if (*mv.transaction_id >= cx.next_transaction && *mv.transaction_id < std::numeric_limits<int>::max())
            cx.next_transaction = *mv.transaction_id + 1;
        cx.session.transaction_seen(mv.connector_id, std::to_string(*mv.transaction_id));
    }
    return json::object();
}

Result on_authorize(Context& cx) {
    auto r = v16::AuthorizeRequest::from_json(cx.call.payload);
    if (auto* e = std::get_if<PayloadError>(&r)) return payload_error(cx.call, *e);
    const auto& tag = std::get<v16::AuthorizeRequest>(r).id_tag;
    return json{{"idTagInfo", v16::id_tag_info(cx.server.authorization().status(tag))}};
}

Result on_start_transaction(Context& cx) {
    auto r = v16::StartTransactionRequest::from_json(cx.call.payload);
    if (auto* e = std::get_if<PayloadError>(&r)) return payload_error(cx.call, *e);
    // Unique per station for this process's life; a restart begins again at 1,
    // which 1.6 allows (the station only echoes it back). The transaction
    // begins once the answer is out: with a CSMS, it is the CSMS's answer
    // and its id (start_transaction_answered).
    const int tx = cx.next_transaction++;
    const auto& tag = std::get<v16::StartTransactionRequest>(r).id_tag;
    return json{{"transactionId", tx}, {"idTagInfo", v16::id_tag_info(cx.server.authorization().status(tag))}};
}

Result on_stop_transaction(Context& cx) {
    auto r = v16::StopTransactionRequest::from_json(cx.call.payload);
    if (auto* e = std::get_if<PayloadError>(&r)) return payload_error(cx.call, *e);
    const auto& req = std::get<v16::StopTransactionRequest>(r);
    cx.server.emit(TransactionChanged{cx.station, 0, false, std::to_string(req.transaction_id), req.reason, req.id_tag});
    cx.session.transaction_ended(std::to_string(req.transaction_id));
    return json{{"idTagInfo", v16::id_tag_info("Accepted")}};  // ending is always allowed
}

Result on_data_transfer(Context& cx) {
    auto r = v16::DataTransferRequest::from_json(cx.call.payload);
    if (auto* e = std::get_if<PayloadError>(&r)) return payload_error(cx.call, *e);
    return json{{"status", "UnknownVendorId"}};  // we implement no vendor extensions
}

Result on_security_event_notification(Context& cx) {
    auto r = v16::SecurityEventNotificationRequest::from_json(cx.call.payload);
    if (auto* e = std::get_if<PayloadError>(&r)) return payload_error(cx.call, *e);
    const auto& req = std::get<v16::SecurityEventNotificationRequest>(r);
    cx.server.emit(SecurityEventReported{cx.station, req.type, req.tech_info});
    return json::object();
}

Result on_diagnostics_status_notification(Context& cx) {
    if (auto e = v16::check_diagnostics_status(cx.call.payload)) return payload_error(cx.call, *e);
    return json::object();
}

Result on_firmware_status_notification(Context& cx) {
    if (auto e = v16::check_firmware_status(cx.call.payload)) return payload_error(cx.call, *e);
    return json::object();
}

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
        {"SecurityEventNotification", on_security_event_notification},
        {"DiagnosticsStatusNotification", on_diagnostics_status_notification},
        {"FirmwareStatusNotification", on_firmware_status_notification},
    };
    return t;
}

}  // namespace

void ChargerSession::start_transaction_answered(const Call& call, const json& answer) {
    const auto req = v16::StartTransactionRequest::from_json(call.payload);
    const auto tx = answer.find("transactionId");
    if (!std::holds_alternative<v16::StartTransactionRequest>(req) || tx == answer.end() || !tx->is_number_integer()) {
        log::warning("ocpp: " + id_ + ": StartTransaction without a usable connector or transactionId; not followed");
        return;
    }
    const int connector = std::get<v16::StartTransactionRequest>(req).connector_id;
    const auto id = tx->get<std::int64_t>();
    // Ids we hand out later (while the CSMS is away) must not be this one.
    if (id >= next_transaction_ && id < std::numeric_limits<int>::max()) next_transaction_ = static_cast<int>(id) + 1;
    server_.emit(TransactionChanged{id_, connector, true, std::to_string(id), std::nullopt,
                                    std::get<v16::StartTransactionRequest>(req).id_tag});
    transaction_started(connector, std::to_string(id));
}

std::variant<json, CallError> ChargerSession::dispatch_v16(const Call& call) {
    const auto it = table().find(call.action);
    if (it == table().end())
        return CallError{call.id, ErrorCode::NotImplemented, "action " + call.action + " is not implemented", {}};
    Context cx{server_, id_, call, next_transaction_, *this};
    return it->second(cx);
}

}  // namespace fuseguard::ocpp
