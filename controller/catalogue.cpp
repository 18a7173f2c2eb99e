#include "catalogue.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "drivers/log.hpp"

#ifndef FUSEGUARD_DATA_DIR
#define FUSEGUARD_DATA_DIR "/usr/share/fuseguard"
#endif
#ifndef FUSEGUARD_SOURCE_DATA_DIR
#define FUSEGUARD_SOURCE_DATA_DIR ""
#endif

namespace fuseguard::controller {

namespace {

CatalogueEntry read_entry(const YAML::Node& n) {
    CatalogueEntry e;
    if (n["title"]) e.title = n["title"].as<std::string>();
    if (n["severity"]) e.severity = n["severity"].as<std::string>();
    if (n["category"]) e.category = n["category"].as<std::string>();
    if (n["description"]) e.description = n["description"].as<std::string>();
    if (n["steps"])
        for (const auto& s : n["steps"]) e.steps.push_back(s.as<std::string>());
    if (e.severity != "error" && e.severity != "warning" && e.severity != "info")
        throw std::runtime_error("severity must be error, warning or info, not '" + e.severity + "'");
    return e;
}

void read_section(const YAML::Node& root, const char* name, std::map<std::string, CatalogueEntry>& into) {
    const auto section = root[name];
    if (!section) return;
    if (!section.IsMap()) throw std::runtime_error(std::string(name) + " must be a map of code: entry");
    for (const auto& kv : section) {
        const auto code = kv.first.as<std::string>();
        try {
            into[code] = read_entry(kv.second);
        } catch (const std::exception& ex) {
            throw std::runtime_error(std::string(name) + "." + code + ": " + ex.what());
        }
    }
}

const CatalogueEntry* find(const std::map<std::string, CatalogueEntry>& m, const std::string& key) {
    auto it = m.find(key);
    return it == m.end() ? nullptr : &it->second;
}

}  // namespace

std::optional<std::string> Catalogue::merge_file(const std::string& path) {
    try {
        const auto root = YAML::LoadFile(path);
        // Read into a copy: a broken file changes nothing.
        Catalogue next = *this;
        read_section(root, "ocpp_errors", next.ocpp_errors_);
        read_section(root, "vendor_codes", next.vendor_codes_);
        read_section(root, "ksga", next.ksga_);
        read_section(root, "security_events", next.security_events_);
        read_section(root, "devices", next.devices_);
        *this = std::move(next);
        return std::nullopt;
    } catch (const std::exception& ex) {
        return path + ": " + ex.what();
    }
}

const CatalogueEntry* Catalogue::ocpp_error(const std::string& code) const { return find(ocpp_errors_, code); }
const CatalogueEntry* Catalogue::security_event(const std::string& type) const { return find(security_events_, type); }
const CatalogueEntry* Catalogue::device(const std::string& code) const { return find(devices_, code); }

const CatalogueEntry* Catalogue::vendor_code(const std::string& code) const {
    if (const auto* e = find(vendor_codes_, code)) return e;
    const bool numeric = !code.empty() && std::all_of(code.begin(), code.end(), [](unsigned char c) { return std::isdigit(c); });
    if (numeric && code.size() >= 3 && code.size() <= 6) return find(ksga_, code.substr(0, 3));
    return nullptr;
}

std::optional<std::string> Catalogue::error_category(const std::string& error_code,
                                                    const std::optional<std::string>& vendor_code) const {
    if (const auto* base = ocpp_error(error_code); base && error_code != "OtherError") return base->category;
    if (const auto* v = vendor_code ? this->vendor_code(*vendor_code) : nullptr) return v->category;
    return std::nullopt;
}

std::size_t Catalogue::size() const {
    return ocpp_errors_.size() + vendor_codes_.size() + ksga_.size() + security_events_.size() + devices_.size();
}

Catalogue load_catalogue(const std::string& config_path) {
    namespace fs = std::filesystem;
    Catalogue c;
    // Installed, else the source tree's copy (running from a build directory).
    std::string builtin = std::string(FUSEGUARD_DATA_DIR) + "/notifications.yaml";
    if (!fs::exists(builtin) && *FUSEGUARD_SOURCE_DATA_DIR)
        builtin = std::string(FUSEGUARD_SOURCE_DATA_DIR) + "/notifications.yaml";
    if (auto err = c.merge_file(builtin)) log::warning("notification catalogue: " + *err + " (generic texts only)");
    if (!config_path.empty()) {
        const auto extra = fs::path(config_path).parent_path() / "notifications.yaml";
        if (fs::exists(extra))
            if (auto err = c.merge_file(extra.string())) log::warning("notification catalogue: " + *err + " (ignored)");
    }
    return c;
}

}  // namespace fuseguard::controller
