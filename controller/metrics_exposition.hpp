#pragma once
// The site as Prometheus metrics (text exposition format 0.0.4) for /metrics
// (SPEC 9, docs/dashboard.md): built when scraped, from the same state the
// MQTT payloads carry, so a site nobody scrapes pays nothing for it.
#include <map>
#include <string>

#include "drivers/modbus/bus.hpp"
#include "drivers/ocpp/server.hpp"
#include "latency_histogram.hpp"
#include "site_controller.hpp"

namespace fuseguard::controller {

// What the drivers and the publisher count, beside the site: absent parts
// (no OCPP endpoint, no publisher yet) are left out.
struct ServiceFigures {
    std::map<std::string, modbus::Bus::ReadCounts> modbus_reads;  // by device, "meter:grid"
    const ocpp::Server::ErrorCounts* ocpp_errors = nullptr;
    const LatencyHistogram* publish_latency = nullptr;
};

std::string metrics_exposition(const SiteController& site, const ServiceFigures& service = {});

}  // namespace fuseguard::controller
