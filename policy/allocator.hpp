#pragma once
// The allocator's working state (allocation.cpp classifies, admits and
// finishes; filling.cpp raises the admitted stations together). Internal to
// policy/: nothing outside includes it.
#include <algorithm>
#include <functional>
#include <limits>
#include <numeric>
#include <span>
#include <utility>
#include <vector>

#include "allocation.hpp"
#include "min_tree.hpp"
#include "small_key_sort.hpp"

namespace fuseguard::policy::detail {

using Index = std::uint32_t;
constexpr Index kNone = ~Index{0};

// Ids (constraints, spans) changed since they were last looked at, each
// once, in the order they changed. Room for every id is made up front, so
// marking one is a test and two stores.
class DirtySet {
public:
    explicit DirtySet(std::size_t n) : marked_(n, 0), ids_(n) {}
    void insert(Index id) {
        if (marked_[id]) return;
        marked_[id] = 1;
        ids_[size_++] = id;
    }
    std::size_t size() const { return size_; }
    // Hands every id to `f` and forgets them.
    template <class F>
    void drain(F&& f) {
        for (std::size_t i = 0; i < size_; ++i) {
            marked_[ids_[i]] = 0;
            f(ids_[i]);
        }
        size_ = 0;
    }

private:
    std::vector<std::uint8_t> marked_;
    std::vector<Index> ids_;
    std::size_t size_ = 0;
};

// Working state of one allocation. Constraint c = node * 3 + phase; `used_`
// holds the load of the whole subtree on that phase.
//
// Stations on the same board with the same phases form a span: they share
// one list of the constraints on their path and, while filling, one running
// sum. A station that starts or stops rising then costs one update, and the
// span carries the batch up to the fuses above it once.
class Allocator {
public:
    Allocator(const FuseTree& tree, const SiteState& site) : tree_(tree), site_(site), cfg_(site.settings) {}

    Allocation run();

private:
    struct Candidate {
        // Every field set here, in place: value-initialising first cost a
        // rep stos per station, and a copy built on the stack stalled.
        Candidate(Index station_, const StationInput& s, Index span_, PhaseSet phases_, Amps base_, Amps start_,
                  Amps cap_, std::int64_t cap_steps_, bool follows_draw_, bool backend_bound_, bool starting_)
            : base(base_), start(start_), cap(cap_), level(start_), cap_steps(cap_steps_),
              least_held(s.least_held()), station(station_), span(span_), phases(phases_),
              follows_draw(follows_draw_), backend_bound(backend_bound_), managed(s.control == Control::Managed),
              starting(starting_) {}
        // One cache line: the allocator walks this array many times.
        Amps base;   // counted even at 0 A: in strict mode its reserve (fallback, else capacity)
        Amps start;  // the minimum it charges at once admitted
        Amps cap;    // the most it may get this round
        Amps level;  // its limit as allocation proceeds
        std::int64_t cap_steps;  // cap in whole steps: the key caps are sorted by
        Amps least_held;         // for the transition plan (StationInput::least_held)
        Index station;
        Index span;
        Index bound_by = kNone;
        PhaseSet phases;
        bool follows_draw : 1;  // cap lowered to draw + reclaim margin
        bool backend_bound : 1; // cap is the limit its backend set
        bool managed : 1;       // its limit in force is confirmed
        bool starting : 1;      // not charging at its minimum yet: needs start_margin more to start
        bool admitted : 1 = true;  // until admit() finds the minimum does not fit
        bool frozen : 1 = false;
        bool growing : 1 = false;
        bool calm : 1 = false;     // kept at its limit in force (calm())
    };
    static_assert(sizeof(Candidate) <= 64);
    struct Span {
        std::uint32_t first = 0, count = 0;  // into path_constraints_
        std::uint32_t preorder = 0;          // of the node its stations are on
    };
    // Admission order: priority descending, then turn, then station (the
    // keys are kept in candidate order, which is station order).
    struct AdmissionKey {
        std::uint64_t turn;
        int priority;
    };

    std::optional<Constraint> as_constraint(Index c) const {
        if (c == kNone) return std::nullopt;
        return constraint(c);
    }
    std::span<const Index> span_constraints(Index sp) const {
        return {path_constraints_.data() + spans_[sp].first, spans_[sp].count};
    }
    std::span<const Index> constraints_of(const Candidate& c) const { return span_constraints(c.span); }
    std::uint32_t preorder(const Candidate& c) const { return spans_[c.span].preorder; }
    Constraint constraint(Index c) const { return {NodeId{c / 3}, static_cast<Phase>(c % 3)}; }
    Amps headroom(Index c) const { return cap_[c] - used_[c]; }
    void add(const Candidate& c, Amps delta) {
        for (Index k : constraints_of(c)) used_[k] += delta;
    }
    // The constraint on the candidate's path with the least headroom.
    Index tightest(const Candidate& c) const;
    Index span_for(NodeId node, PhaseSet phases);

    void classify(NodeLoadSum& stations);
    void admit();
    std::vector<Index> admission_order();
    bool admit_all_at_once(std::vector<Index>&& order);
    void fill(std::span<const Index> group);
    void share_remainder(std::span<const Index> group);
    void calm();
    Allocation finish();

    const FuseTree& tree_;
    const SiteState& site_;
    const PolicySettings& cfg_;
    std::vector<StationDecision> decisions_;
    std::vector<Deduction> devices_;
    StationDraw draw_;                 // per node, for `total` meters; empty when none needs it
    std::vector<PhaseCurrents> non_ev_most_;  // per meter: the most non-EV load its reading allows
    std::vector<NodeLoad> loads_;      // per node, before allocation
    std::vector<Candidate> candidates_;  // in station order
    bool uniform_start_ = true;          // every candidate starts at the least start (always outside strict mode)
    std::vector<AdmissionKey> keys_;     // per candidate
    // Online stations that are not candidates, in station order: their
    // target is 0 A, and the plan needs what is counted for them now.
    struct AtZero {
        Index station;
        bool managed;
        Amps least_held;
    };
    std::vector<AtZero> at_zero_;
    std::vector<Span> spans_;
    std::vector<Amps> span_need_;          // per span: its candidates' minimums, above what is counted
    std::vector<Amps> span_start_margin_;  // per span: start_margin for each of its candidates starting
    std::vector<Index> span_index_;        // per node * 8 + phase bits: span + 1, 0 for none yet
    std::vector<Index> path_constraints_;  // the spans' lists, one after another
    std::vector<Amps> cap_;
    std::vector<Amps> used_;
    std::vector<Index> admitted_;    // candidate indices, in admission order
    std::vector<std::size_t> runs_;  // where each priority starts in admitted_, then its end
    std::vector<std::uint32_t> rank_;  // per candidate: its place in admission order
};

inline Index Allocator::tightest(const Candidate& c) const {
    auto cs = constraints_of(c);
    Index best = cs.front();
    for (Index k : cs)
        if (headroom(k) < headroom(best)) best = k;
    return best;
}

}  // namespace fuseguard::policy::detail
