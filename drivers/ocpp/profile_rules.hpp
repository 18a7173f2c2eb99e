#pragma once
// The checks real station stacks apply to a SetChargingProfile before they
// accept it, after EVerest libocpp's SmartChargingHandler::validate_profile
// (1.6 and 2.0.1) and the 2.0.1 requirements K01.FR.*: fuseguard checks every
// profile it sends against them, and the tests' stations apply them.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "charging_profile.hpp"

namespace fuseguard::ocpp {

// What a station says it supports: GetConfiguration in 1.6
// (ChargeProfileMaxStackLevel, ChargingScheduleMaxPeriods,
// ChargingScheduleAllowedChargingRateUnit), the SmartChargingCtrlr
// variables in 2.0.1. Until read, what fuseguard's profiles need.
struct ProfileCapabilities {
    int max_stack_level = 1;
    int max_periods = 2;
    bool current_allowed = true;  // rate unit A
    bool power_allowed = false;   // rate unit W
};

// What the station is doing, as far as the rules care.
struct ProfileTarget {
    int connector = 0;                             // 1.6 connectorId, 2.0.1 evseId
    int connector_count = 1;
    std::map<int, std::string> transactions;       // running, by connector
};

// Why the station would refuse `p` at `target`, or nothing when it would not.
std::optional<std::string> profile_refusal(const ChargingProfile& p, const ProfileTarget& target,
                                           const ProfileCapabilities& caps, Version v);

}  // namespace fuseguard::ocpp
