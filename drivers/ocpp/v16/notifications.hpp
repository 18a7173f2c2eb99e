#pragma once
// OCPP 1.6 DataTransfer, SecurityEventNotification (1.6 security
// whitepaper), DiagnosticsStatusNotification, FirmwareStatusNotification.
#include <optional>
#include <string>
#include <variant>

#include "drivers/ocpp/payload.hpp"

namespace fuseguard::ocpp::v16 {

struct DataTransferRequest {
    std::string vendor_id;  // CiString255
    std::optional<std::string> message_id;
    std::optional<std::string> data;
    static std::variant<DataTransferRequest, PayloadError> from_json(const nlohmann::json& j);
};

struct SecurityEventNotificationRequest {
    std::string type;  // CiString50
    std::string timestamp;
    std::optional<std::string> tech_info;
    static std::variant<SecurityEventNotificationRequest, PayloadError> from_json(const nlohmann::json& j);
};

// Diagnostics- and FirmwareStatusNotification: a status from a fixed list.
std::optional<PayloadError> check_diagnostics_status(const nlohmann::json& j);
std::optional<PayloadError> check_firmware_status(const nlohmann::json& j);

}  // namespace fuseguard::ocpp::v16
