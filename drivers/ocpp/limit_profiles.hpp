#pragma once
// The profiles that carry fuseguard's limit to a station (SPEC 5): which
// purpose, kind, stack level and schedule, chosen so that the station stacks
// in use accept them (profile_rules.hpp).
#include "charging_profile.hpp"
#include "config/config.hpp"

namespace fuseguard::ocpp {

// The station-wide limit keeps one id, so each new one replaces the last.
inline constexpr int kLimitProfileId = 1;

// The start of the Absolute schedules that must hold whatever the station's
// clock says: any clock a station may have, even one never set, is past it.
inline constexpr const char* kScheduleStartLongAgo = "1970-01-01T00:00:00Z";

// `amps` for the whole station, from now on, on connector (EVSE) 0, with the
// purpose the installer chose. A ChargePointMaxProfile is never Relative
// (EVerest libocpp refuses that, as 2.0.1 K01.FR.38 asks), so it is Absolute
// from kScheduleStartLongAgo; a TxDefaultProfile is Relative, which every
// stack accepts for it.
ChargingProfile station_limit_profile(config::ProfilePurpose purpose, double amps);

}  // namespace fuseguard::ocpp
