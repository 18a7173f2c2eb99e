#pragma once
// Home Assistant MQTT discovery (SPEC 9, docs/dashboard.md "Home Assistant"):
// one device for the site and one per station, whose entities read the
// retained payloads fuseguard publishes anyway (SPEC 8). What is announced
// follows from the configuration alone.
#include <map>
#include <string>

#include "config/config.hpp"

namespace fuseguard::controller {

// Discovery config payloads by topic
// (<discovery_prefix>/<component>/<node_id>/<object_id>/config).
std::map<std::string, std::string> home_assistant_discovery(const config::Config& cfg);

}  // namespace fuseguard::controller
