#include "connector_status.hpp"

#include <array>
#include <utility>

namespace fuseguard::policy {

namespace {
constexpr std::array<std::pair<ConnectorStatus, std::string_view>, 10> kNames{{
    {ConnectorStatus::Available, "Available"},
    {ConnectorStatus::Preparing, "Preparing"},
    {ConnectorStatus::Charging, "Charging"},
    {ConnectorStatus::SuspendedEV, "SuspendedEV"},
    {ConnectorStatus::SuspendedEVSE, "SuspendedEVSE"},
    {ConnectorStatus::Finishing, "Finishing"},
    {ConnectorStatus::Reserved, "Reserved"},
    {ConnectorStatus::Unavailable, "Unavailable"},
    {ConnectorStatus::Faulted, "Faulted"},
    {ConnectorStatus::Occupied, "Occupied"},
}};
}  // namespace

std::optional<ConnectorStatus> parse_connector_status(std::string_view text) {
    for (const auto& [s, n] : kNames)
        if (n == text) return s;
    return std::nullopt;
}

std::string_view name(ConnectorStatus s) {
    for (const auto& [st, n] : kNames)
        if (st == s) return n;
    return "Unknown";
}

}  // namespace fuseguard::policy
