#pragma once
// The charging profiles a station holds and what they allow at a moment, as
// a station works it out (OCPP 1.6 section 3.13, 2.0.1 K08): per purpose the
// highest stack level in force wins; a TxProfile for the running transaction
// overrides the TxDefaultProfiles (the connector's own before connector 0's);
// the station maximum caps the rest. fuseguard uses it to know what a station
// will do with the profiles it sent; the simulator and the tests' stations
// use it to behave like real ones.
#include <chrono>
#include <optional>
#include <vector>

#include "charging_profile.hpp"
#include "composite_schedule.hpp"

namespace fuseguard::ocpp {

class HeldProfiles {
public:
    using WallTime = std::chrono::system_clock::time_point;

    // Keeps `p` for `connector` as a station does: one with the same id, or
    // with the same purpose, stack level and connector, is replaced.
    void install(int connector, const ChargingProfile& p);
    // A transaction ended on `connector`: its TxProfiles go with it.
    void transaction_ended(int connector);
    void clear() { held_.clear(); }
    bool empty() const { return held_.empty(); }

    // The limit in amperes on `connector` at `now` by the station's own
    // clock, with its transaction (if any) begun at `transaction_start` by
    // the same clock; none when no profile limits it.
    std::optional<double> limit_at(int connector, WallTime now, std::optional<WallTime> transaction_start) const;
    // The station maximum (ChargePointMaxProfile, 2.0.1 ChargingStationMax)
    // in force at `now`; none when there is none.
    std::optional<double> station_max_at(WallTime now) const {
        return layer(ProfilePurpose::ChargePointMax, 0, now, std::nullopt);
    }
    // Removes what a ClearChargingProfile with these criteria removes (each
    // one given must match); returns how many went.
    int clear(std::optional<int> id, std::optional<int> connector, std::optional<ProfilePurpose> purpose,
              std::optional<int> stack_level);
    // What GetCompositeSchedule answers: the limit second by second over
    // `duration_s` from `now` (its scheduleStart), `capacity` where no
    // profile limits it.
    CompositeSchedule composite(int connector, WallTime now, std::optional<WallTime> transaction_start,
                                int duration_s, double capacity) const;

private:
    struct Held {
        int connector = 0;
        ChargingProfile profile;
    };
    // The value of the highest stack level of `purpose` on `connector` in
    // force at `now`.
    std::optional<double> layer(ProfilePurpose purpose, int connector, WallTime now,
                                std::optional<WallTime> transaction_start) const;
    std::vector<Held> held_;
};

// The schedule's value `now`, none when it is not in force (not started,
// past its duration, outside validFrom/validTo, unreadable start).
std::optional<double> value_at(const ChargingProfile& p, HeldProfiles::WallTime now,
                               std::optional<HeldProfiles::WallTime> transaction_start);

}  // namespace fuseguard::ocpp
