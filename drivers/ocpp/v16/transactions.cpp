#include "transactions.hpp"

namespace fuseguard::ocpp::v16 {

std::variant<AuthorizeRequest, PayloadError> AuthorizeRequest::from_json(const nlohmann::json& j) {
    AuthorizeRequest r;
    PayloadReader p(j);
    p.text("idTag", r.id_tag, 20);
    if (!p.ok()) return *p.error();
    return r;
}

std::variant<StartTransactionRequest, PayloadError> StartTransactionRequest::from_json(const nlohmann::json& j) {
    StartTransactionRequest r;
    PayloadReader p(j);
    p.integer("connectorId", r.connector_id, 1);
    p.text("idTag", r.id_tag, 20);
    p.integer("meterStart", r.meter_start);
    p.integer("reservationId", r.reservation_id);
    p.text("timestamp", r.timestamp, 64);
    if (!p.ok()) return *p.error();
    return r;
}

std::variant<StopTransactionRequest, PayloadError> StopTransactionRequest::from_json(const nlohmann::json& j) {
    StopTransactionRequest r;
    PayloadReader p(j);
    p.integer("transactionId", r.transaction_id);
    p.text("idTag", r.id_tag, 20);
    p.integer("meterStop", r.meter_stop);
    p.text("timestamp", r.timestamp, 64);
    p.choice("reason", r.reason,
             {"EmergencyStop", "EVDisconnected", "HardReset", "Local", "Other", "PowerLoss", "Reboot", "Remote",
              "SoftReset", "UnlockCommand", "DeAuthorized"});
    p.array("transactionData", false);
    if (!p.ok()) return *p.error();
    return r;
}

nlohmann::json id_tag_info(const std::string& status) { return {{"status", status}}; }

}  // namespace fuseguard::ocpp::v16
