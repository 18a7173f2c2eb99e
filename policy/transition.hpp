#pragma once
// From the limits in force to the target, without a moment over the fuse.
#include "allocation.hpp"
#include "transition_plan.hpp"

namespace fuseguard::policy {

// The plan from the limits in force in `now` to `target`. allocate() already
// returns this plan for the site it was given (Allocation::plan); this is
// for any other pair.
TransitionPlan plan_transition(const SiteState& now, const Allocation& target);

// The site once the station answered `cmd`: accepted, it is managed at the
// new limit; rejected, it is counted at capacity (SPEC 1).
void apply_answer(SiteState& site, const LimitCommand& cmd, bool accepted);

}  // namespace fuseguard::policy
