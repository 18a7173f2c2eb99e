#pragma once
// ISO 8601 UTC timestamps, as OCPP and the MQTT API write them:
// "2026-11-26T16:28:53Z", or "2026-11-26T16:28:53.130Z" with milliseconds.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace fuseguard {

std::string iso8601(std::chrono::system_clock::time_point t, bool milliseconds = false);
// Reads such a timestamp, with a fraction of any length and a zone of Z or
// +HH:MM / -HH:MM; none when it is anything else.
std::optional<std::chrono::system_clock::time_point> parse_iso8601(std::string_view text);

}  // namespace fuseguard
