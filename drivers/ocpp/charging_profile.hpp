#pragma once
// A charging profile as OCPP 1.6 (csChargingProfiles) and 2.0.1
// (chargingProfile) carry it: one struct for both versions, written and read
// by the SetChargingProfile request of each (v16/, v201/). Limits are in
// amperes: fuseguard never sends W.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "payload.hpp"
#include "rpc.hpp"

namespace fuseguard::ocpp {

// ChargePointMax is ChargingStationMaxProfile in 2.0.1.
enum class ProfilePurpose { ChargePointMax, TxDefault, Tx };
enum class ProfileKind { Absolute, Recurring, Relative };

std::string_view name(ProfilePurpose p, Version v);
std::string_view name(ProfileKind k);

struct SchedulePeriod {
    int start_s = 0;                   // seconds from the schedule's start
    double limit_a = 0;                // rounded down to 0.1 A when written
    std::optional<int> number_phases;
};

struct ChargingProfile {
    int id = 1;
    int stack_level = 0;
    ProfilePurpose purpose = ProfilePurpose::ChargePointMax;
    ProfileKind kind = ProfileKind::Absolute;
    std::optional<std::string> recurrency_kind;  // Daily | Weekly, with Recurring
    std::optional<std::string> transaction_id;   // TxProfile only (an integer in 1.6)
    std::optional<std::string> valid_from, valid_to;
    std::optional<std::string> start_schedule;   // ISO 8601; Absolute and Recurring
    std::optional<int> duration_s;
    std::string rate_unit = "A";                 // A | W
    std::vector<SchedulePeriod> periods;

    nlohmann::json to_json(Version v) const;
    // What a station reads: the fields and their types, not whether the
    // combination makes sense (profile_rules.hpp says that).
    static std::variant<ChargingProfile, PayloadError> from_json(const nlohmann::json& j, Version v);
};

// A chargingSchedule object (limits rounded down to 0.1 A); the schedule
// of a profile, and of a GetCompositeSchedule answer.
nlohmann::json charging_schedule_json(const std::string& rate_unit, const std::vector<SchedulePeriod>& periods,
                                      const std::optional<std::string>& start_schedule, std::optional<int> duration_s);

// Reads a chargingSchedule object (duration, startSchedule, rate unit,
// periods) into `out`'s schedule fields; GetCompositeSchedule answers carry
// one too.
std::optional<PayloadError> read_charging_schedule(const nlohmann::json& j, ChargingProfile& out);

// Never round a limit up: 16.29 A goes out as 16.2 A.
double round_down_to_tenth(double amps);

}  // namespace fuseguard::ocpp
