#include "transition.hpp"

#include "small_key_sort.hpp"

namespace fuseguard::policy {

TransitionPlan plan_transition(const SiteState& now, const Allocation& target) {
    TransitionPlan plan;
    // Lowerings with their sort key, worked out while the station is at hand.
    std::vector<std::pair<std::int64_t, LimitCommand>> lower;
    lower.reserve(now.stations.size());
    plan.raise.reserve(now.stations.size());
    const std::int64_t step = now.settings.step.milliamps();
    for (std::uint32_t i = 0; i < now.stations.size(); ++i) {
        const StationInput& s = now.stations[i];
        const StationDecision& d = target.stations[i];
        if (!d.target || !is_online(s.state)) continue;
        const LimitCommand cmd{i, *d.target};
        // Counted at capacity until it accepts a limit; then at its limit.
        const bool managed = s.control == Control::Managed;
        const Amps from = managed ? s.limit_in_force : s.max_current;
        if (!managed || *d.target < s.limit_in_force) {
            lower.emplace_back(-((from - cmd.limit).milliamps() / step), cmd);
        } else if (*d.target > s.limit_in_force) {
            plan.raise.push_back(cmd);
        }
    }
    // Biggest cuts first (to 0.1 A): when a fuse is at risk the stations that
    // free the most are written before the others.
    sort_by_small_key(lower, [](const std::pair<std::int64_t, LimitCommand>& l) { return l.first; });
    plan.lower.reserve(lower.size());
    for (const auto& l : lower) plan.lower.push_back(l.second);
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
