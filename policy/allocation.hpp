#pragma once
// Splits what the fuse tree leaves free among the stations that want current
// (SPEC 3). Pure: the same site state always gives the same answer.
#include <optional>
#include <string>
#include <vector>

#include "deduction.hpp"
#include "transition_plan.hpp"

namespace fuseguard::policy {

// One phase of one fuse node: the unit the safety rule is checked on.
struct Constraint {
    NodeId node;
    Phase phase = Phase::L1;
    constexpr bool operator==(const Constraint&) const = default;
};

enum class LimitReason : std::uint8_t {
    Offline,     // offline or unknown: nothing can be sent
    Rejected,    // refused our limit: counted at capacity until it reconnects
    Idle,        // no vehicle wants current: 0 A
    NoCapacity,  // its max_current_a is below min_current_a
    Paused,      // the minimum does not fit at `bound_by`: 0 A for now
    AtMaximum,   // got its max_current_a
    FollowsDraw, // draws less than it could: limit kept a margin above its draw
    FairShare,   // its share of what `bound_by` leaves
    BackendLimit,  // held to the limit its backend (CSMS) set, or paused when that is below the minimum
    Calm,        // keeps its limit: its share moved by less than the calm step
};
std::string_view name(LimitReason r);

struct StationDecision {
    std::optional<Amps> target;          // the limit to send, per phase; none if nothing can be sent
    LimitReason reason = LimitReason::Offline;
    std::optional<Constraint> bound_by;  // the node and phase that holds it back
    Deduction deduction;                 // what is counted for it once `target` is in force
};

struct Allocation {
    std::vector<StationDecision> stations;  // parallel to SiteState::stations
    std::vector<Deduction> devices;         // meters and EMS
    // Per meter (parallel to SiteState::meters), for an online `total`
    // meter: the most non-EV load its reading allows, at or above what is
    // counted (devices); the difference is what a limit change on its way
    // to a vehicle may still hide (0 for other meters).
    std::vector<PhaseCurrents> non_ev_most;
    std::vector<NodeLoad> loads;            // per node, once every target is in force
    std::vector<PhaseCurrents> allocated;   // per node: the targets of stations we control
    // From the limits in force in the site allocated for to these targets,
    // worked out while each station was at hand (plan_transition() gives the
    // same plan, reading every station again).
    TransitionPlan plan;
};

Allocation allocate(const FuseTree& tree, const SiteState& site);

// "CP003 charging: fair share of board-a L2 -> 10.5 A"
std::string describe(const StationDecision& d, const StationInput& s, const FuseTree& tree);

// Every deduction of the target state, stations included, in one list.
std::vector<Deduction> all_deductions(const Allocation& a);

}  // namespace fuseguard::policy
