#pragma once
// What an installer must know before going live (SPEC 2, seed 000): if every
// device went offline at once, how much would each fuse still leave for
// charging, and which stations would be left below the minimum?
#include <vector>

#include "deduction.hpp"

namespace fuseguard::policy {

struct StarvedStation {
    std::uint32_t station = 0;  // index into SiteState::stations
    NodeId node;                // the node and phase that leaves too little
    Phase phase = Phase::L1;
    Amps remaining;             // what is left for it there
};

struct WorstCase {
    std::vector<PhaseCurrents> remaining;  // per node: capacity minus every fallback below it
    std::vector<StarvedStation> starved;   // stations that could not get min_current_a
};

// Device states in `site` are ignored: everything counts as offline. A
// station is checked as the one online station wanting to charge.
WorstCase worst_case(const FuseTree& tree, const SiteState& site);

}  // namespace fuseguard::policy
