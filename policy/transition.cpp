#include "transition.hpp"

#include "small_key_sort.hpp"

namespace fuseguard::policy {

TransitionPlan plan_transition(const SiteState& now, const Allocation& target) {
    TransitionPlan plan;
    plan.lower.reserve(now.stations.size());
    plan.raise.reserve(now.stations.size());
    for (std::uint32_t i = 0; i < now.stations.size(); ++i) {
        const StationInput& s = now.stations[i];
        const StationDecision& d = target.stations[i];
        if (!d.target || !is_online(s.state)) continue;
        const LimitCommand cmd{i, *d.target};
        if (s.control != Control::Managed) {
            plan.lower.push_back(cmd);  // counted at capacity until it accepts
        } else if (*d.target < s.limit_in_force) {
            plan.lower.push_back(cmd);
        } else if (*d.target > s.limit_in_force) {
            plan.raise.push_back(cmd);
        }
    }
    // Biggest cuts first (to 0.1 A): when a fuse is at risk the stations that
    // free the most are written before the others.
    auto cut = [&](const LimitCommand& c) {
        const StationInput& s = now.stations[c.station];
        Amps from = s.control == Control::Managed ? s.limit_in_force : s.max_current;
        return from - c.limit;
    };
    const std::int64_t step = now.settings.step.milliamps();
    sort_by_small_key(plan.lower, [&](const LimitCommand& c) { return -(cut(c).milliamps() / step); });
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
