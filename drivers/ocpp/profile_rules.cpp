#include "profile_rules.hpp"

namespace fuseguard::ocpp {

std::optional<std::string> profile_refusal(const ChargingProfile& p, const ProfileTarget& target,
                                           const ProfileCapabilities& caps, Version v) {
    const std::string purpose(name(p.purpose, v));
    if (target.connector < 0 || target.connector > target.connector_count)
        return "connector " + std::to_string(target.connector) + " does not exist";
    if (p.stack_level < 0 || p.stack_level > caps.max_stack_level)
        return "stack level " + std::to_string(p.stack_level) + " is above ChargeProfileMaxStackLevel " +
               std::to_string(caps.max_stack_level);
    if ((p.rate_unit == "A" && !caps.current_allowed) || (p.rate_unit == "W" && !caps.power_allowed))
        return "charging rate unit " + p.rate_unit + " is not allowed";
    if (p.periods.empty()) return "the schedule has no period";
    if (static_cast<int>(p.periods.size()) > caps.max_periods)
        return std::to_string(p.periods.size()) + " periods are more than ChargingScheduleMaxPeriods " +
               std::to_string(caps.max_periods);
    if (p.periods.front().start_s != 0) return "the first period does not start at 0";
    for (std::size_t i = 0; i < p.periods.size(); ++i) {
        if (p.periods[i].limit_a < 0) return "a period has a negative limit";
        if (i > 0 && p.periods[i].start_s <= p.periods[i - 1].start_s) return "periods are not in increasing order";
        if (const auto n = p.periods[i].number_phases; n && (*n < 1 || *n > 3)) return "numberPhases out of 1..3";
    }
    if (p.duration_s && *p.duration_s <= 0) return "a duration must be positive";
    switch (p.kind) {
    case ProfileKind::Absolute:
        if (!p.start_schedule) return "an Absolute schedule needs startSchedule";
        break;
    case ProfileKind::Recurring:
        if (!p.start_schedule || !p.recurrency_kind) return "a Recurring schedule needs startSchedule and recurrencyKind";
        break;
    case ProfileKind::Relative:
        if (p.start_schedule) return "a Relative schedule must not have startSchedule";
        break;
    }
    if (p.valid_from && p.valid_to && *p.valid_from >= *p.valid_to) return "validFrom is not before validTo";
    switch (p.purpose) {
    case ProfilePurpose::ChargePointMax:
        if (target.connector != 0) return purpose + " is for connector 0 only";
        if (p.kind == ProfileKind::Relative) return purpose + " cannot be Relative";
        if (p.transaction_id) return purpose + " cannot name a transaction";
        break;
    case ProfilePurpose::TxDefault:
        if (p.transaction_id) return purpose + " cannot name a transaction";
        break;
    case ProfilePurpose::Tx: {
        if (target.connector == 0) return "a TxProfile needs a connector, not 0";
        const auto tx = target.transactions.find(target.connector);
        if (tx == target.transactions.end()) return "no transaction is running on connector " + std::to_string(target.connector);
        if (v == Version::V201 && !p.transaction_id) return "a TxProfile needs a transactionId";
        if (p.transaction_id && *p.transaction_id != tx->second)
            return "transaction " + *p.transaction_id + " is not the one running (" + tx->second + ")";
        break;
    }
    }
    return std::nullopt;
}

}  // namespace fuseguard::ocpp
