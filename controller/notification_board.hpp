#pragma once
// The active notifications (SPEC 6): the dashboard's Error Notifications
// tile. One per key: a station connector's error, a 2.0.1 problem, or a
// device's liveness; a later one with the same key replaces the earlier.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "catalogue.hpp"

namespace fuseguard::controller {

using WallClock = std::chrono::system_clock;

struct Notification {
    std::string id;                  // stable key, e.g. "charger:CP01#1"
    std::string device;              // "charger:CP01", "meter:grid", "ems:bms"
    std::optional<int> connector;
    std::string code;                // errorCode, component/variable, or a device code
    std::optional<std::string> vendor_code;
    std::optional<std::string> info;
    std::string severity, title, description, category;
    std::vector<std::string> steps;
    WallClock::time_point since;
    bool operator==(const Notification& o) const;  // same content, `since` aside
};

class NotificationBoard {
public:
    // Adds or replaces; an identical one keeps its `since`. True if it changed.
    bool raise(Notification n);
    bool clear(const std::string& id);
    // Everything a station has raised (its boot or reconnection clears them),
    // not what fuseguard found about it (a limit ignored or refused, a
    // failsafe not verified, its CSMS unreachable).
    bool clear_device(const std::string& device, bool keep_liveness = false);
    const std::map<std::string, Notification>& active() const { return active_; }
    // Changes whenever active() does: the publisher serialises the list
    // only then.
    std::uint64_t revision() const { return revision_; }
    // The revision at which the active notification `id` last changed (0
    // when it is not active): the publisher serialises only those.
    std::uint64_t revision_of(const std::string& id) const {
        const auto it = changed_at_.find(id);
        return it == changed_at_.end() ? 0 : it->second;
    }

private:
    std::map<std::string, Notification> active_;
    std::map<std::string, std::uint64_t> changed_at_;
    std::uint64_t revision_ = 0;
};

// A station's error as its StatusNotification reported it, explained from the
// catalogue: the vendor code's entry where there is one, else the errorCode's.
Notification station_error(const Catalogue& cat, const std::string& station, int connector,
                           const std::string& error_code, const std::optional<std::string>& vendor_code,
                           const std::optional<std::string>& info, const std::string& status, WallClock::time_point now);

// A 2.0.1 NotifyEvent problem: code is "Component/Variable".
Notification station_problem(const Catalogue& cat, const std::string& station, int evse, const std::string& component,
                             const std::string& variable, const std::string& value,
                             const std::optional<std::string>& tech_code, const std::optional<std::string>& tech_info,
                             WallClock::time_point now);

// A security event that means downtime (its catalogue category is not
// "none"), or nothing.
std::optional<Notification> security_notification(const Catalogue& cat, const std::string& station,
                                                  const std::string& type, const std::optional<std::string>& info,
                                                  WallClock::time_point now);

// A device notification (ChargingStationOffline, MeterOffline, ...), its
// {deduction} and {detail} filled in.
Notification device_notification(const Catalogue& cat, const std::string& code, const std::string& device,
                                 const std::string& deduction, const std::string& detail, WallClock::time_point now);

// The key of a station's notification on a connector or for a device code.
std::string connector_key(const std::string& station, int connector);
std::string device_key(const std::string& device, const std::string& code);

}  // namespace fuseguard::controller
