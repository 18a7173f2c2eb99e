#pragma once
// From the limits in force to the target, without a moment over the fuse.
#include "allocation.hpp"
#include "transition_plan.hpp"

namespace fuseguard::policy {

// The plan from the limits in force in `now` to `target`. allocate() already
// returns this plan for the site it was given (Allocation::plan); this is
// for any other pair.
TransitionPlan plan_transition(const SiteState& now, const Allocation& target);

enum class LimitOutcome : std::uint8_t {
    Accepted,    // it applies the new limit
    Refused,     // it said no (a status, a CALLERROR): it keeps what it held
    Unanswered,  // no answer, or one we cannot read: it may apply either
};

// The site once the station answered `cmd`: accepted, it is managed at the
// new limit; otherwise it is counted at capacity (SPEC 1), and what it holds
// stays known only where the answer says so.
void apply_answer(SiteState& site, const LimitCommand& cmd, LimitOutcome outcome);

}  // namespace fuseguard::policy
