#pragma once
// ISO 8601 UTC timestamps, as OCPP and the MQTT API write them:
// "2026-11-26T16:28:53Z", or "2026-11-26T16:28:53.130Z" with milliseconds.
#include <chrono>
#include <string>

namespace fuseguard {

std::string iso8601(std::chrono::system_clock::time_point t, bool milliseconds = false);

}  // namespace fuseguard
