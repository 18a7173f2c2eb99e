#include "charging_profile.hpp"

#include <cmath>

namespace fuseguard::ocpp {

using nlohmann::json;

double round_down_to_tenth(double amps) { return std::floor(amps * 10.0 + 1e-9) / 10.0; }

std::string_view name(ProfilePurpose p, Version v) {
    switch (p) {
    case ProfilePurpose::ChargePointMax: return v == Version::V16 ? "ChargePointMaxProfile" : "ChargingStationMaxProfile";
    case ProfilePurpose::TxDefault: return "TxDefaultProfile";
    case ProfilePurpose::Tx: return "TxProfile";
    }
    return "TxDefaultProfile";
}

std::string_view name(ProfileKind k) {
    switch (k) {
    case ProfileKind::Absolute: return "Absolute";
    case ProfileKind::Recurring: return "Recurring";
    case ProfileKind::Relative: return "Relative";
    }
    return "Absolute";
}

json charging_schedule_json(const std::string& rate_unit, const std::vector<SchedulePeriod>& periods,
                            const std::optional<std::string>& start_schedule, std::optional<int> duration_s) {
    json out_periods = json::array();
    for (const auto& p : periods) {
        json period = {{"startPeriod", p.start_s}, {"limit", round_down_to_tenth(p.limit_a)}};
        if (p.number_phases) period["numberPhases"] = *p.number_phases;
        out_periods.push_back(std::move(period));
    }
    json schedule = {{"chargingRateUnit", rate_unit}, {"chargingSchedulePeriod", std::move(out_periods)}};
    if (start_schedule) schedule["startSchedule"] = *start_schedule;
    if (duration_s) schedule["duration"] = *duration_s;
    return schedule;
}

json ChargingProfile::to_json(Version v) const {
    json schedule = charging_schedule_json(rate_unit, periods, start_schedule, duration_s);

    json profile = {{"stackLevel", stack_level},
                    {"chargingProfilePurpose", name(purpose, v)},
                    {"chargingProfileKind", name(kind)}};
    if (recurrency_kind) profile["recurrencyKind"] = *recurrency_kind;
    if (valid_from) profile["validFrom"] = *valid_from;
    if (valid_to) profile["validTo"] = *valid_to;
    if (v == Version::V16) {
        profile["chargingProfileId"] = id;
        if (transaction_id) {
            // 1.6 transaction ids are integers; ours always are.
            try {
                profile["transactionId"] = std::stoi(*transaction_id);
            } catch (const std::exception&) {
                profile["transactionId"] = *transaction_id;  // the station will say what it thinks
            }
        }
        profile["chargingSchedule"] = std::move(schedule);
    } else {
        profile["id"] = id;
        if (transaction_id) profile["transactionId"] = *transaction_id;
        schedule["id"] = id;
        profile["chargingSchedule"] = json::array({std::move(schedule)});
    }
    return profile;
}

namespace {

std::optional<ProfilePurpose> parse_purpose(const std::string& s) {
    if (s == "ChargePointMaxProfile" || s == "ChargingStationMaxProfile") return ProfilePurpose::ChargePointMax;
    if (s == "TxDefaultProfile") return ProfilePurpose::TxDefault;
    if (s == "TxProfile") return ProfilePurpose::Tx;
    return std::nullopt;
}

std::optional<ProfileKind> parse_kind(const std::string& s) {
    if (s == "Absolute") return ProfileKind::Absolute;
    if (s == "Recurring") return ProfileKind::Recurring;
    if (s == "Relative") return ProfileKind::Relative;
    return std::nullopt;
}

}  // namespace

std::optional<PayloadError> read_charging_schedule(const json& j, ChargingProfile& out) {
    PayloadReader s(j);
    std::optional<int> duration;
    s.integer("duration", duration);
    s.text("startSchedule", out.start_schedule, 64);
    s.choice("chargingRateUnit", out.rate_unit, {"A", "W"});
    const json* periods = s.array("chargingSchedulePeriod", true);
    if (!s.ok()) return s.error();
    out.duration_s = duration;
    for (const auto& pj : *periods) {
        if (!pj.is_object()) return PayloadError{ErrorCode::TypeConstraintViolation, "a schedule period must be an object"};
        PayloadReader p(pj);
        SchedulePeriod period;
        p.integer("startPeriod", period.start_s);
        p.number("limit", period.limit_a);
        p.integer("numberPhases", period.number_phases);
        if (!p.ok()) return p.error();
        out.periods.push_back(period);
    }
    return std::nullopt;
}

std::variant<ChargingProfile, PayloadError> ChargingProfile::from_json(const json& j, Version v) {
    ChargingProfile out;
    PayloadReader p(j);
    std::string purpose, kind;
    p.integer(v == Version::V16 ? "chargingProfileId" : "id", out.id);
    p.integer("stackLevel", out.stack_level, 0);
    p.text("chargingProfilePurpose", purpose, 32);
    p.choice("chargingProfileKind", kind, {"Absolute", "Recurring", "Relative"});
    p.choice("recurrencyKind", out.recurrency_kind, {"Daily", "Weekly"});
    p.text("validFrom", out.valid_from, 64);
    p.text("validTo", out.valid_to, 64);
    if (v == Version::V16) {
        std::optional<int> tx;
        p.integer("transactionId", tx);
        if (tx) out.transaction_id = std::to_string(*tx);
    } else {
        p.text("transactionId", out.transaction_id, 36);
    }
    const json* schedule = v == Version::V16 ? p.object("chargingSchedule", true) : p.array("chargingSchedule", true);
    if (!p.ok()) return *p.error();
    const auto parsed_purpose = parse_purpose(purpose);
    if (!parsed_purpose || name(*parsed_purpose, v) != purpose)
        return PayloadError{ErrorCode::PropertyConstraintViolation,
                            "chargingProfilePurpose '" + purpose + "' is not an allowed value"};
    out.purpose = *parsed_purpose;
    out.kind = *parse_kind(kind);
    if (v == Version::V201) {
        // Up to three schedules are allowed; fuseguard sends and reads one.
        if (schedule->empty() || !(*schedule)[0].is_object())
            return PayloadError{ErrorCode::OccurrenceConstraintViolation, "chargingSchedule needs one schedule"};
        schedule = &(*schedule)[0];
    }
    if (auto e = read_charging_schedule(*schedule, out)) return *e;
    return out;
}

}  // namespace fuseguard::ocpp
