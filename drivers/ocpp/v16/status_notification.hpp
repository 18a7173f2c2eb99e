#pragma once
// OCPP 1.6 StatusNotification (station -> us): a connector's status and error.
#include <optional>
#include <string>
#include <variant>

#include "drivers/ocpp/payload.hpp"

namespace fuseguard::ocpp::v16 {

struct StatusNotificationRequest {
    int connector_id = 0;  // 0: the station as a whole
    std::string error_code;
    std::optional<std::string> info;
    std::string status;
    std::optional<std::string> timestamp;
    std::optional<std::string> vendor_id;
    std::optional<std::string> vendor_error_code;

    static std::variant<StatusNotificationRequest, PayloadError> from_json(const nlohmann::json& j);
};

// The response has no fields: {}.

}  // namespace fuseguard::ocpp::v16
