#include "boot_notification.hpp"

namespace fuseguard::ocpp::v16 {

std::variant<BootNotificationRequest, PayloadError> BootNotificationRequest::from_json(const nlohmann::json& j) {
    BootNotificationRequest r;
    PayloadReader p(j);
    p.text("chargePointVendor", r.charge_point_vendor, 20);
    p.text("chargePointModel", r.charge_point_model, 20);
    p.text("chargePointSerialNumber", r.charge_point_serial_number, 25);
    p.text("chargeBoxSerialNumber", r.charge_box_serial_number, 25);
    p.text("firmwareVersion", r.firmware_version, 50);
    p.text("iccid", r.iccid, 20);
    p.text("imsi", r.imsi, 20);
    p.text("meterType", r.meter_type, 25);
    p.text("meterSerialNumber", r.meter_serial_number, 25);
    if (!p.ok()) return *p.error();
    return r;
}

nlohmann::json BootNotificationResponse::to_json() const {
    return {{"status", status}, {"currentTime", current_time}, {"interval", interval}};
}

}  // namespace fuseguard::ocpp::v16
