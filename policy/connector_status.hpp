#pragma once
// OCPP connector statuses that mean "a vehicle wants current" (SPEC 3).
#include <optional>
#include <string_view>

namespace fuseguard::policy {

enum class ConnectorStatus {
    Available, Preparing, Charging, SuspendedEV, SuspendedEVSE, Finishing,
    Reserved, Unavailable, Faulted,
    Occupied,  // OCPP 2.0.1
};

std::optional<ConnectorStatus> parse_connector_status(std::string_view text);
std::string_view name(ConnectorStatus s);

constexpr bool wants_current(ConnectorStatus s) {
    switch (s) {
    case ConnectorStatus::Preparing:
    case ConnectorStatus::Charging:
    case ConnectorStatus::SuspendedEV:
    case ConnectorStatus::SuspendedEVSE:
    case ConnectorStatus::Occupied: return true;
    default: return false;
    }
}

// Whether a vehicle may be drawing current: only Charging says so, and
// 2.0.1's Occupied says nothing either way. A draw reported under any other
// status has stopped.
constexpr bool may_draw(ConnectorStatus s) { return s == ConnectorStatus::Charging || s == ConnectorStatus::Occupied; }
// A vehicle is plugged in and its session goes on: the same vehicle as
// before the status changed (a new vehicle comes through Available or
// Preparing, 2.0.1 through Available).
constexpr bool in_session(ConnectorStatus s) {
    return s == ConnectorStatus::Charging || s == ConnectorStatus::SuspendedEV ||
           s == ConnectorStatus::SuspendedEVSE || s == ConnectorStatus::Occupied;
}

}  // namespace fuseguard::policy
