#pragma once
// The profiles that carry fuseguard's limit to a station (SPEC 5, docs/ocpp.md
// "Failsafe"): which purpose, kind, stack level and schedule, chosen so that
// the station stacks in use accept them (profile_rules.hpp) and so that a
// station left alone steps itself down to its fallback, whatever its clock.
//
// A station with a fallback holds three layers:
//   - the fallback layer: a TxDefaultProfile on connector 0 at stack level 0,
//     Relative, one period at the fallback, no end. A transaction with no
//     profile of its own gets no more than the fallback;
//   - the station limit on connector 0 (the purpose the installer chose):
//     the limit as a ChargePointMaxProfile, or as a TxDefaultProfile above
//     the fallback layer at no more than the fallback (a transaction gets
//     more only through its own TxProfile, which steps down by itself);
//   - per running transaction, a Relative TxProfile that steps to the
//     fallback failsafe_after_s after it was sent. Relative to the
//     transaction's start as the station itself counts it, so a wrong
//     station clock changes nothing. Under a station maximum it allows the
//     station's capacity until the step (the maximum is the limit), so it
//     changes only to be renewed; under a TxDefaultProfile it carries the
//     limit itself.
// A station without a fallback holds the station limit alone, as before.
#include <optional>
#include <string>

#include "charging_profile.hpp"
#include "config/config.hpp"
#include "profile_rules.hpp"

namespace fuseguard::ocpp {

// Fixed ids: each new profile of a layer replaces the last one.
inline constexpr int kLimitProfileId = 1;
inline constexpr int kFallbackProfileId = 2;
inline constexpr int kTransactionProfileIdBase = 10;  // + the connector

// The start of the Absolute schedules that must hold whatever the station's
// clock says: any clock a station may have, even one never set, is past it.
inline constexpr const char* kScheduleStartLongAgo = "1970-01-01T00:00:00Z";

struct LimitLayers {
    config::ProfilePurpose purpose = config::ProfilePurpose::ChargePointMaxProfile;
    std::optional<double> fallback_a;  // none: the station limit alone
    int failsafe_after_s = 300;
    double capacity_a = 0;             // the station's max_current_a
};

// What a transaction's profile allows until its step, with the station at
// `amps`: its capacity under a station maximum, else the limit itself.
double transaction_amps(const LimitLayers& layers, double amps);

// Whether a transaction's profile changes with the station limit (and so is
// sent with it, and a lowering holds only once it is accepted): not under a
// station maximum, whose transactions' profiles carry the capacity. Decided by
// the layers, never by the value: a limit that happens to equal the capacity
// does not make the transactions' profiles part of it.
bool transactions_follow_limit(const LimitLayers& layers);

// Whether a station with these capabilities can hold the layers: a
// TxDefaultProfile station limit needs a stack level above the fallback
// layer, and a transaction's profile two periods (the limit, then the step).
bool layers_fit(const LimitLayers& layers, const ProfileCapabilities& caps);

// `amps` for the whole station, from now on, on connector (EVSE) 0. A
// ChargePointMaxProfile is never Relative (EVerest libocpp refuses that, as
// 2.0.1 K01.FR.38 asks), so it is Absolute from kScheduleStartLongAgo.
ChargingProfile station_limit_profile(const LimitLayers& layers, double amps);
// The same for a station without a fallback.
inline ChargingProfile station_limit_profile(config::ProfilePurpose purpose, double amps) {
    LimitLayers layers;
    layers.purpose = purpose;
    return station_limit_profile(layers, amps);
}
// The fallback layer; only for a station with a fallback.
ChargingProfile fallback_profile(double fallback_a);
// `amps` for the transaction `transaction_id` on `connector`, which began
// `elapsed_s` ago as fuseguard counts it (no earlier than the station's own
// start, so the step comes no later than failsafe_after_s from now).
ChargingProfile transaction_profile(const LimitLayers& layers, double amps, int connector,
                                    const std::string& transaction_id, long elapsed_s);

// The same for a station that refuses a Relative TxProfile: Absolute, from
// `station_now` (ISO 8601, the station's own clock as fuseguard estimates it
// from its GetCompositeSchedule answers, never fuseguard's clock alone), the
// step failsafe_after_s after it.
ChargingProfile absolute_transaction_profile(const LimitLayers& layers, double amps, int connector,
                                             const std::string& transaction_id, const std::string& station_now);

}  // namespace fuseguard::ocpp
