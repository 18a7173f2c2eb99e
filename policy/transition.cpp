#include "transition.hpp"

namespace fuseguard::policy {

TransitionPlan plan_transition(const SiteState& now, const Allocation& target) {
    PlanBuilder plan(now.stations.size(), now.settings.step);
    for (std::uint32_t i = 0; i < now.stations.size(); ++i) {
        const StationInput& s = now.stations[i];
        const StationDecision& d = target.stations[i];
        if (!d.target || !is_online(s.state)) continue;
        plan.add(i, s.control == Control::Managed, s.counted_now(), *d.target);
    }
    return plan.take();
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
