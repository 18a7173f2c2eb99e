#pragma once
// From the limits in force to the target, without a moment over the fuse:
// lowerings go first and must all be answered before anything is raised.
#include <vector>

#include "allocation.hpp"

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
    std::vector<LimitCommand> raise;
    bool empty() const { return lower.empty() && raise.empty(); }
};

TransitionPlan plan_transition(const SiteState& now, const Allocation& target);

// The site once the station answered `cmd`: accepted, it is managed at the
// new limit; rejected, it is counted at capacity (SPEC 1).
void apply_answer(SiteState& site, const LimitCommand& cmd, bool accepted);

}  // namespace fuseguard::policy
