#include "limit_profiles.hpp"

namespace fuseguard::ocpp {

ChargingProfile station_limit_profile(config::ProfilePurpose purpose, double amps) {
    ChargingProfile p;
    p.id = kLimitProfileId;
    p.stack_level = 0;
    p.periods = {SchedulePeriod{0, amps, std::nullopt}};
    if (purpose == config::ProfilePurpose::ChargePointMaxProfile) {
        p.purpose = ProfilePurpose::ChargePointMax;
        p.kind = ProfileKind::Absolute;
        p.start_schedule = kScheduleStartLongAgo;
    } else {
        p.purpose = ProfilePurpose::TxDefault;
        p.kind = ProfileKind::Relative;
    }
    return p;
}

}  // namespace fuseguard::ocpp
