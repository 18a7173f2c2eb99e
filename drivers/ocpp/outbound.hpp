#pragma once
// Our CALLs to a station, other than limits: one <action>_request builder
// each, per OCPP version (inbound handlers live in v16_inbound.cpp and
// v201_inbound.cpp).
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "config/config.hpp"
#include "rpc.hpp"

namespace fuseguard::ocpp::outbound {

struct Request {
    std::string action;
    nlohmann::json payload;
};

// Seconds between the Current.Import samples we ask stations for: short, so
// that a station drawing less than its limit is noticed (SPEC 3).
inline constexpr int kMeterSampleIntervalS = 10;

// After an accepted boot and a look at the station's configuration
// (station_configuration.hpp): heartbeat and ping intervals, the measurands
// to sample (what it sampled, with Current.Import added) every
// kMeterSampleIntervalS (ChangeConfiguration / SetVariables).
std::vector<Request> configure_request(Version v, const config::OcppConfig& cfg, const std::string& measurands);
// Ask for a StatusNotification (after a reconnect that sent none).
Request trigger_status_request(Version v);
// Ask for MeterValues now (a connector/EVSE of 0: the station as a whole),
// to see a vehicle's draw once it has followed a new limit.
Request trigger_meter_values_request(Version v, int connector);
Request reset_request(Version v);
Request unlock_connector_request(Version v, int connector);
// Removes the profiles of our purpose (before sending a fresh one, or when
// the station is no longer managed).
Request clear_charging_profile_request(Version v, config::ProfilePurpose purpose);

// The `status` of an answer, or "" when it has none.
std::string answer_status(const nlohmann::json& payload);

}  // namespace fuseguard::ocpp::outbound
