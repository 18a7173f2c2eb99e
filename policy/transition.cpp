#include "transition.hpp"

#include "small_key_sort.hpp"

#include <cstdint>

namespace fuseguard::policy {

TransitionPlan plan_transition(const SiteState& now, const Allocation& target) {
    TransitionPlan plan;
    plan.lower.reserve(now.stations.size());
    plan.raise.reserve(now.stations.size());
    // Each lowering's sort key, worked out while the station is at hand.
    std::vector<std::int64_t> cut;
    cut.reserve(now.stations.size());
    std::int64_t least = INT64_MAX, most = INT64_MIN;
    const std::int64_t step = now.settings.step.milliamps();
    for (std::uint32_t i = 0; i < now.stations.size(); ++i) {
        const StationInput& s = now.stations[i];
        const StationDecision& d = target.stations[i];
        if (!d.target || !is_online(s.state)) continue;
        // Counted at capacity until it accepts a limit; then at its limit.
        const bool managed = s.control == Control::Managed;
        if (!managed || *d.target < s.limit_in_force) {
            const Amps from = managed ? s.limit_in_force : s.max_current;
            const std::int64_t key = -quotient((from - *d.target).milliamps(), step);
            least = std::min(least, key);
            most = std::max(most, key);
            cut.push_back(key);
            plan.lower.push_back({i, *d.target});
        } else if (*d.target > s.limit_in_force) {
            plan.raise.push_back({i, *d.target});
        }
    }
    // Biggest cuts first (to 0.1 A): when a fuse is at risk the stations that
    // free the most are written before the others.
    sort_by_keys(plan.lower, cut, least, most);
    return plan;
}

void apply_answer(SiteState& site, const LimitCommand& cmd, bool accepted) {
    StationInput& s = site.stations.at(cmd.station);
    if (accepted) {
        s.control = Control::Managed;
        s.limit_in_force = cmd.limit;
    } else {
        s.control = Control::Rejected;
    }
}

}  // namespace fuseguard::policy
