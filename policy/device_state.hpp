#pragma once
// Liveness of any device: unknown until first heard, then online/offline.
#include <cstdint>
#include <string_view>

namespace fuseguard::policy {

enum class DeviceState : std::uint8_t { Unknown, Online, Offline };

constexpr std::string_view name(DeviceState s) {
    switch (s) {
    case DeviceState::Unknown: return "unknown";
    case DeviceState::Online: return "online";
    case DeviceState::Offline: return "offline";
    }
    return "unknown";
}

// Unknown is treated exactly like offline (SPEC 1).
constexpr bool is_online(DeviceState s) { return s == DeviceState::Online; }

}  // namespace fuseguard::policy
