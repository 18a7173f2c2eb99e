#pragma once
// The way from the limits in force to new targets, without a moment over
// the fuse: lowerings go first and must all be answered before anything is
// raised.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "amps.hpp"
#include "small_key_sort.hpp"

namespace fuseguard::policy {

struct LimitCommand {
    std::uint32_t station = 0;  // index into SiteState::stations
    Amps limit;
    constexpr bool operator==(const LimitCommand&) const = default;
};

struct TransitionPlan {
    // Sent at once. Each one can only lower what is counted for its station
    // (an unconfirmed station is counted at capacity, so any limit lowers it).
    std::vector<LimitCommand> lower;
    // Sent only when every lowering above was accepted. If one was rejected
    // that station is counted at capacity: allocate and plan again instead.
    // A limit above what an unconfirmed station may hold is a raise too: it
    // is counted at capacity, but what it draws may go up.
    std::vector<LimitCommand> raise;
    bool empty() const { return lower.empty() && raise.empty(); }
    bool operator==(const TransitionPlan&) const = default;
};

// Whether sending `limit` to a station cannot raise what it may draw (see
// StationInput::least_held). An unconfirmed station gets its limit even
// when it would not change what it holds, so that it counts as managed
// again; a managed one only when it changes.
constexpr bool cannot_raise(bool managed, Amps least_held, Amps limit) {
    return managed ? limit < least_held : limit <= least_held;
}

// Puts a plan together one station at a time, in station order, from the
// least limit the station may hold now (StationInput::least_held) and its
// target.
class PlanBuilder {
public:
    PlanBuilder(std::size_t stations, Amps step) : step_(step.milliamps()) {
        plan_.lower.reserve(stations);
        plan_.raise.reserve(stations);
        cut_.reserve(stations);
    }
    void add(std::uint32_t station, bool managed, Amps least_held, Amps target) {
        if (cannot_raise(managed, least_held, target)) {
            const std::int64_t key = -quotient((least_held - target).milliamps(), step_);
            least_ = std::min(least_, key);
            most_ = std::max(most_, key);
            cut_.push_back(key);
            plan_.lower.push_back({station, target});
        } else if (target > least_held) {
            plan_.raise.push_back({station, target});
        }
    }
    // Biggest cuts first (to a step): when a fuse is at risk the stations
    // that free the most are written before the others.
    TransitionPlan take() {
        sort_by_keys(plan_.lower, cut_, least_, most_);
        return std::move(plan_);
    }

private:
    std::int64_t step_;
    TransitionPlan plan_;
    std::vector<std::int64_t> cut_;  // each lowering's sort key
    std::int64_t least_ = INT64_MAX, most_ = INT64_MIN;
};

}  // namespace fuseguard::policy
