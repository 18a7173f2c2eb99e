#pragma once
// The notification catalogue (controller/data/notifications.yaml): what a
// code means and what to do about it. Data, not code, so that installers can
// add their stations' vendor codes without a rebuild.
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace fuseguard::controller {

struct CatalogueEntry {
    std::string title;
    std::string severity = "warning";  // error | warning | info
    std::string category = "other";    // uptime failure category; "none" is not a fault
    std::string description;
    std::vector<std::string> steps;
};

class Catalogue {
public:
    // Reads `path` and merges its entries over what is loaded (same code:
    // replaced). Returns an error message, or nothing when it loaded.
    std::optional<std::string> merge_file(const std::string& path);

    const CatalogueEntry* ocpp_error(const std::string& code) const;
    // ChargeX / vendor codes exactly; numeric codes of 3-6 digits as KSGA
    // fault numbers by their first three digits.
    const CatalogueEntry* vendor_code(const std::string& code) const;
    const CatalogueEntry* security_event(const std::string& type) const;
    const CatalogueEntry* device(const std::string& code) const;
    // The uptime failure category of a reported error: the errorCode's own,
    // unless it is OtherError or unknown, then the vendor code's; nothing
    // when neither is in the catalogue.
    std::optional<std::string> error_category(const std::string& error_code,
                                              const std::optional<std::string>& vendor_code) const;

    std::size_t size() const;

private:
    std::map<std::string, CatalogueEntry> ocpp_errors_, vendor_codes_, ksga_, security_events_, devices_;
};

// The catalogue fuseguard ships, then the installer's additions next to the
// configuration file, when there is one. Problems are logged; a missing
// built-in catalogue leaves generic texts, never a failure to start.
Catalogue load_catalogue(const std::string& config_path);

}  // namespace fuseguard::controller
