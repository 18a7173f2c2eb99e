#pragma once
// The site as Prometheus metrics (text exposition format 0.0.4) for /metrics
// (SPEC 9, docs/dashboard.md): built when scraped, from the same state the
// MQTT payloads carry, so a site nobody scrapes pays nothing for it.
#include <string>

#include "site_controller.hpp"

namespace fuseguard::controller {

std::string metrics_exposition(const SiteController& site);

}  // namespace fuseguard::controller
