#pragma once
// OCPP 1.6 Authorize, StartTransaction, StopTransaction (station -> us).
#include <optional>
#include <string>
#include <variant>

#include "drivers/ocpp/payload.hpp"

namespace fuseguard::ocpp::v16 {

struct AuthorizeRequest {
    std::string id_tag;  // CiString20
    static std::variant<AuthorizeRequest, PayloadError> from_json(const nlohmann::json& j);
};

struct StartTransactionRequest {
    int connector_id = 1;
    std::string id_tag;
    int meter_start = 0;  // Wh
    std::optional<int> reservation_id;
    std::string timestamp;
    static std::variant<StartTransactionRequest, PayloadError> from_json(const nlohmann::json& j);
};

struct StopTransactionRequest {
    int transaction_id = 0;
    std::optional<std::string> id_tag;
    int meter_stop = 0;
    std::string timestamp;
    std::optional<std::string> reason;
    static std::variant<StopTransactionRequest, PayloadError> from_json(const nlohmann::json& j);
};

// An idTagInfo with `status` alone (Accepted, Invalid...).
nlohmann::json id_tag_info(const std::string& status);

}  // namespace fuseguard::ocpp::v16
