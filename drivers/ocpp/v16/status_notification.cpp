#include "status_notification.hpp"

namespace fuseguard::ocpp::v16 {

std::variant<StatusNotificationRequest, PayloadError> StatusNotificationRequest::from_json(const nlohmann::json& j) {
    StatusNotificationRequest r;
    PayloadReader p(j);
    p.integer("connectorId", r.connector_id, 0);
    p.choice("errorCode", r.error_code,
             {"ConnectorLockFailure", "EVCommunicationError", "GroundFailure", "HighTemperature", "InternalError",
              "LocalListConflict", "NoError", "OtherError", "OverCurrentFailure", "PowerMeterFailure",
              "PowerSwitchFailure", "ReaderFailure", "ResetFailure", "UnderVoltage", "OverVoltage", "WeakSignal"});
    p.text("info", r.info, 50);
    p.choice("status", r.status,
             {"Available", "Preparing", "Charging", "SuspendedEVSE", "SuspendedEV", "Finishing", "Reserved",
              "Unavailable", "Faulted"});
    p.text("timestamp", r.timestamp, 64);
    p.text("vendorId", r.vendor_id, 255);
    p.text("vendorErrorCode", r.vendor_error_code, 50);
    if (!p.ok()) return *p.error();
    return r;
}

}  // namespace fuseguard::ocpp::v16
