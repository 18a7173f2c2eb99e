#pragma once
// OCPP 1.6 BootNotification (station -> us).
#include <optional>
#include <string>
#include <variant>

#include "drivers/ocpp/payload.hpp"

namespace fuseguard::ocpp::v16 {

struct BootNotificationRequest {
    std::string charge_point_vendor;
    std::string charge_point_model;
    std::optional<std::string> charge_point_serial_number;
    std::optional<std::string> charge_box_serial_number;
    std::optional<std::string> firmware_version;
    std::optional<std::string> iccid;
    std::optional<std::string> imsi;
    std::optional<std::string> meter_type;
    std::optional<std::string> meter_serial_number;

    static std::variant<BootNotificationRequest, PayloadError> from_json(const nlohmann::json& j);
};

struct BootNotificationResponse {
    std::string status = "Accepted";  // Accepted | Pending | Rejected
    std::string current_time;         // ISO 8601 UTC
    int interval = 60;                // heartbeat interval, seconds
    nlohmann::json to_json() const;
};

}  // namespace fuseguard::ocpp::v16
