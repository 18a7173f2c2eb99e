#include "notifications.hpp"

namespace fuseguard::ocpp::v16 {

std::variant<DataTransferRequest, PayloadError> DataTransferRequest::from_json(const nlohmann::json& j) {
    DataTransferRequest r;
    PayloadReader p(j);
    p.text("vendorId", r.vendor_id, 255);
    p.text("messageId", r.message_id, 50);
    // `data` is free text in the schema; a station sending anything else is
    // told so rather than ignored.
    p.text("data", r.data, SIZE_MAX);
    if (!p.ok()) return *p.error();
    return r;
}

std::variant<SecurityEventNotificationRequest, PayloadError> SecurityEventNotificationRequest::from_json(
    const nlohmann::json& j) {
    SecurityEventNotificationRequest r;
    PayloadReader p(j);
    p.text("type", r.type, 50);
    p.text("timestamp", r.timestamp, 64);
    p.text("techInfo", r.tech_info, 255);
    if (!p.ok()) return *p.error();
    return r;
}

std::optional<PayloadError> check_diagnostics_status(const nlohmann::json& j) {
    std::string status;
    PayloadReader p(j);
    p.choice("status", status, {"Idle", "Uploaded", "UploadFailed", "Uploading"});
    return p.error();
}

std::optional<PayloadError> check_firmware_status(const nlohmann::json& j) {
    std::string status;
    PayloadReader p(j);
    p.choice("status", status,
             {"Downloaded", "DownloadFailed", "Downloading", "Idle", "InstallationFailed", "Installing", "Installed"});
    return p.error();
}

}  // namespace fuseguard::ocpp::v16
