#include "notification_board.hpp"

namespace fuseguard::controller {

bool Notification::operator==(const Notification& o) const {
    return id == o.id && device == o.device && connector == o.connector && code == o.code &&
           vendor_code == o.vendor_code && info == o.info && severity == o.severity && title == o.title &&
           description == o.description && category == o.category && steps == o.steps;
}

bool NotificationBoard::raise(Notification n) {
    auto it = active_.find(n.id);
    if (it != active_.end() && it->second == n) return false;
    const auto id = n.id;
    active_.insert_or_assign(id, std::move(n));
    changed_at_[id] = ++revision_;
    return true;
}

bool NotificationBoard::clear(const std::string& id) {
    if (active_.erase(id) == 0) return false;
    changed_at_.erase(id);
    ++revision_;
    return true;
}

namespace {
// What fuseguard found about a station itself, which its boot or
// reconnection does not change: refresh_device_notifications clears each
// once what it says no longer holds. Cleared with the station's errors,
// they were gone from the list for a moment and came back with a new
// `since` (and state_dir still said so meanwhile).
bool fuseguards_finding(const std::string& code) {
    return code == "LimitIgnored" || code == "LimitRejected" || code == "FallbackUnverified" || code == "BackendOffline";
}
}  // namespace

bool NotificationBoard::clear_device(const std::string& device, bool keep_liveness) {
    bool changed = false;
    for (auto it = active_.begin(); it != active_.end();) {
        const bool liveness = it->second.code == "ChargingStationOffline";
        if (it->second.device == device && !(keep_liveness && liveness) && !fuseguards_finding(it->second.code)) {
            changed_at_.erase(it->first);
            it = active_.erase(it);
            changed = true;
            ++revision_;
        } else {
            ++it;
        }
    }
    return changed;
}

std::string connector_key(const std::string& station, int connector) {
    return "charger:" + station + "#" + std::to_string(connector);
}
std::string device_key(const std::string& device, const std::string& code) { return device + "/" + code; }

namespace {

void explain(Notification& n, const CatalogueEntry* e, const std::string& fallback_title) {
    if (e) {
        n.title = e->title;
        n.severity = e->severity;
        n.category = e->category;
        n.description = e->description;
        n.steps = e->steps;
    } else {
        n.title = fallback_title;
        n.severity = "warning";
        n.category = "other";
        n.description = "Not in the notification catalogue; see the station's documentation.";
        n.steps = {"Look the code up in the station's manual.", "Restart the station remotely (reset)."};
    }
}

std::string replace_all(std::string s, const std::string& what, const std::string& with) {
    for (auto pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos + with.size()))
        s.replace(pos, what.size(), with);
    return s;
}

}  // namespace

Notification station_error(const Catalogue& cat, const std::string& station, int connector,
                           const std::string& error_code, const std::optional<std::string>& vendor_code,
                           const std::optional<std::string>& info, const std::string& status, WallClock::time_point now) {
    Notification n;
    n.id = connector_key(station, connector);
    n.device = "charger:" + station;
    n.connector = connector;
    n.code = error_code;
    n.vendor_code = vendor_code;
    n.info = info;
    n.since = now;
    const CatalogueEntry* by_vendor = vendor_code ? cat.vendor_code(*vendor_code) : nullptr;
    explain(n, by_vendor ? by_vendor : cat.ocpp_error(error_code), error_code);
    // The errorCode's own category decides downtime (EVCommunicationError is
    // the EV's), unless only the vendor code says what it is.
    if (auto category = cat.error_category(error_code, vendor_code)) n.category = *category;
    if (status == "Faulted" && n.severity == "info") n.severity = "warning";
    return n;
}

Notification station_problem(const Catalogue& cat, const std::string& station, int evse, const std::string& component,
                             const std::string& variable, const std::string& value,
                             const std::optional<std::string>& tech_code, const std::optional<std::string>& tech_info,
                             WallClock::time_point now) {
    Notification n;
    n.code = component + "/" + variable;
    n.id = connector_key(station, evse) + "/" + n.code;
    n.device = "charger:" + station;
    n.connector = evse;
    n.vendor_code = tech_code;
    n.info = tech_info ? tech_info : std::optional<std::string>(value);
    n.since = now;
    explain(n, tech_code ? cat.vendor_code(*tech_code) : nullptr, component + " " + variable + " problem");
    if (!tech_code || !cat.vendor_code(*tech_code)) {
        n.severity = "error";
        n.description = "The station reports a problem with " + component + " (" + variable + " = " + value + ").";
    }
    return n;
}

std::optional<Notification> security_notification(const Catalogue& cat, const std::string& station,
                                                  const std::string& type, const std::optional<std::string>& info,
                                                  WallClock::time_point now) {
    const auto* entry = cat.security_event(type);
    if (!entry || entry->category == "none") return std::nullopt;
    Notification n;
    n.device = "charger:" + station;
    n.id = n.device + "/security/" + type;
    n.code = type;
    n.info = info;
    n.since = now;
    explain(n, entry, type);
    return n;
}

Notification device_notification(const Catalogue& cat, const std::string& code, const std::string& device,
                                 const std::string& deduction, const std::string& detail, WallClock::time_point now) {
    Notification n;
    n.id = device_key(device, code);
    n.device = device;
    n.code = code;
    n.since = now;
    explain(n, cat.device(code), code);
    n.description = replace_all(replace_all(n.description, "{deduction}", deduction), "{detail}", detail);
    const auto colon = device.find(':');
    const auto id = colon == std::string::npos ? device : device.substr(colon + 1);
    for (auto& s : n.steps) s = replace_all(s, "<id>", id);
    if (n.description.empty()) n.description = device + ": " + code + " (" + deduction + ")";
    return n;
}

}  // namespace fuseguard::controller
