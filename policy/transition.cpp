#include "transition.hpp"

namespace fuseguard::policy {

TransitionPlan plan_transition(const SiteState& now, const Allocation& target) {
    PlanBuilder plan(now.stations.size(), now.settings.step);
    for (std::uint32_t i = 0; i < now.stations.size(); ++i) {
        const StationInput& s = now.stations[i];
        const StationDecision& d = target.stations[i];
        if (!d.target || !is_online(s.state)) continue;
        plan.add(i, s.control == Control::Managed, s.least_held(), *d.target);
    }
    return plan.take();
}

void apply_answer(SiteState& site, const LimitCommand& cmd, LimitOutcome outcome) {
    StationInput& s = site.stations.at(cmd.station);
    if (outcome == LimitOutcome::Accepted) {
        s.control = Control::Managed;
        s.limit_in_force = cmd.limit;
        s.limit_known = true;
        return;
    }
    s.control = Control::Rejected;
    // A refused lowering leaves it at the limit it held. A refused raise was
    // counted from the moment it was sent, and what it replaced is gone; an
    // unanswered limit may or may not apply.
    if (outcome == LimitOutcome::Unanswered || cmd.limit >= s.limit_in_force) s.limit_known = false;
}

}  // namespace fuseguard::policy
