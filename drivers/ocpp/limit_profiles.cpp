#include "limit_profiles.hpp"

#include <algorithm>

namespace fuseguard::ocpp {

double transaction_amps(const LimitLayers& layers, double amps) {
    return transactions_follow_limit(layers) ? amps : std::max(layers.capacity_a, amps);
}

bool transactions_follow_limit(const LimitLayers& layers) {
    return !(layers.purpose == config::ProfilePurpose::ChargePointMaxProfile && layers.capacity_a > 0);
}

bool layers_fit(const LimitLayers& layers, const ProfileCapabilities& caps) {
    if (caps.max_periods < 2) return false;
    return layers.purpose == config::ProfilePurpose::ChargePointMaxProfile || caps.max_stack_level >= 1;
}

ChargingProfile station_limit_profile(const LimitLayers& layers, double amps) {
    ChargingProfile p;
    p.id = kLimitProfileId;
    p.stack_level = 0;
    p.periods = {SchedulePeriod{0, amps, std::nullopt}};
    if (layers.purpose == config::ProfilePurpose::ChargePointMaxProfile) {
        p.purpose = ProfilePurpose::ChargePointMax;
        p.kind = ProfileKind::Absolute;
        p.start_schedule = kScheduleStartLongAgo;
        return p;
    }
    p.purpose = ProfilePurpose::TxDefault;
    p.kind = ProfileKind::Relative;
    if (layers.fallback_a) {
        // Above the fallback layer, and never more than the fallback: a
        // transaction's own TxProfile is what raises it, and that steps down.
        p.stack_level = 1;
        p.periods[0].limit_a = std::min(amps, *layers.fallback_a);
    }
    return p;
}

ChargingProfile fallback_profile(double fallback_a) {
    ChargingProfile p;
    p.id = kFallbackProfileId;
    p.stack_level = 0;
    p.purpose = ProfilePurpose::TxDefault;
    p.kind = ProfileKind::Relative;
    p.periods = {SchedulePeriod{0, fallback_a, std::nullopt}};
    return p;
}

ChargingProfile transaction_profile(const LimitLayers& layers, double amps, int connector,
                                    const std::string& transaction_id, long elapsed_s) {
    ChargingProfile p;
    p.id = kTransactionProfileIdBase + connector;
    p.stack_level = 0;
    p.purpose = ProfilePurpose::Tx;
    p.kind = ProfileKind::Relative;
    p.transaction_id = transaction_id;
    p.periods = {SchedulePeriod{0, amps, std::nullopt}};
    if (layers.fallback_a && round_down_to_tenth(*layers.fallback_a) != round_down_to_tenth(amps)) {
        const long step = std::max(0L, elapsed_s) + layers.failsafe_after_s;
        p.periods.push_back(SchedulePeriod{static_cast<int>(std::min<long>(step, 0x7fffffff)), *layers.fallback_a, std::nullopt});
    }
    return p;
}

ChargingProfile absolute_transaction_profile(const LimitLayers& layers, double amps, int connector,
                                             const std::string& transaction_id, const std::string& station_now) {
    ChargingProfile p = transaction_profile(layers, amps, connector, transaction_id, 0);
    p.kind = ProfileKind::Absolute;
    p.start_schedule = station_now;
    return p;
}

}  // namespace fuseguard::ocpp
