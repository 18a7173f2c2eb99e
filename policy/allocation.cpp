#include "allocation.hpp"

#include "min_tree.hpp"
#include "small_key_sort.hpp"

#include <algorithm>
#include <functional>
#include <limits>
#include <numeric>
#include <span>
#include <utility>

namespace fuseguard::policy {

std::string_view name(LimitReason r) {
    switch (r) {
    case LimitReason::Offline: return "offline";
    case LimitReason::Rejected: return "rejected";
    case LimitReason::Idle: return "idle";
    case LimitReason::NoCapacity: return "no_capacity";
    case LimitReason::Paused: return "paused";
    case LimitReason::AtMaximum: return "at_maximum";
    case LimitReason::FollowsDraw: return "follows_draw";
    case LimitReason::BackendLimit: return "backend_limit";
    case LimitReason::FairShare: return "fair_share";
    }
    return "unknown";
}

namespace {

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
                  Amps cap_, std::int64_t cap_steps_, bool follows_draw_, bool backend_bound_)
            : base(base_), start(start_), cap(cap_), level(start_), cap_steps(cap_steps_),
              least_held(s.least_held()), station(station_), span(span_), phases(phases_),
              follows_draw(follows_draw_), backend_bound(backend_bound_), managed(s.control == Control::Managed) {}
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
        bool admitted : 1 = true;  // until admit() finds the minimum does not fit
        bool frozen : 1 = false;
        bool growing : 1 = false;
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
    Allocation finish();

    const FuseTree& tree_;
    const SiteState& site_;
    const PolicySettings& cfg_;
    std::vector<StationDecision> decisions_;
    std::vector<Deduction> devices_;
    std::vector<PhaseCurrents> draw_;  // per node, for `total` meters; empty when none needs it
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
    std::vector<Index> span_index_;        // per node * 8 + phase bits: span + 1, 0 for none yet
    std::vector<Index> path_constraints_;  // the spans' lists, one after another
    std::vector<Amps> cap_;
    std::vector<Amps> used_;
    std::vector<Index> admitted_;    // candidate indices, in admission order
    std::vector<std::size_t> runs_;  // where each priority starts in admitted_, then its end
    std::vector<std::uint32_t> rank_;  // per candidate: its place in admission order
};

Index Allocator::tightest(const Candidate& c) const {
    auto cs = constraints_of(c);
    Index best = cs.front();
    for (Index k : cs)
        if (headroom(k) < headroom(best)) best = k;
    return best;
}

Index Allocator::span_for(NodeId node, PhaseSet phases) {
    Index& slot = span_index_[node.value * 8 + phases.bits()];
    if (slot == 0) {
        Span sp;
        sp.first = static_cast<std::uint32_t>(path_constraints_.size());
        for (NodeId n : tree_.node(node).path)
            for (Phase p : kAllPhases)
                if (phases.contains(p)) path_constraints_.push_back(n.value * 3 + static_cast<Index>(index(p)));
        sp.count = static_cast<std::uint32_t>(path_constraints_.size()) - sp.first;
        sp.preorder = tree_.preorder_index(node);
        spans_.push_back(sp);
        span_need_.emplace_back();
        slot = static_cast<Index>(spans_.size());
    }
    return slot - 1;
}

// Decide who can be allocated at all, and count everyone else as SPEC 1 says.
void Allocator::classify(NodeLoadSum& sum) {
    const auto& stations = site_.stations;
    decisions_.reserve(stations.size());
    candidates_.reserve(stations.size());
    keys_.reserve(stations.size());
    if (needs_station_draw(site_)) draw_.assign(tree_.size(), {});
    span_index_.assign(tree_.size() * 8, 0);
    const bool strict = cfg_.mode == PolicyMode::Strict;
    // Limits are whole steps: counted in steps, each bound costs one division.
    const Amps step = cfg_.step;
    auto amps = [step](std::int64_t steps) { return step * steps; };
    // A station that charges gets at least one step, even with min 0.
    const std::int64_t least_start = std::max<std::int64_t>(cfg_.min_current.steps_above(step), 1);
    const bool need_draw = !draw_.empty();
    // The loop bound and the inputs in locals: a byte-sized field written
    // per station could alias the vector's own pointers, and the compiler
    // would read them again on every pass round the loop.
    const auto n = static_cast<Index>(stations.size());
    const StationInput* const first = stations.data();
    for (Index i = 0; i < n; ++i) {
        const StationInput& s = first[i];
        StationDecision& d = decisions_.emplace_back();
        const bool online = is_online(s.state);
        if (s.measured && need_draw && online) draw_[s.node.value] += s.measured_on_site(s.max_current);
        if (!online || s.control == Control::Rejected) {
            d.reason = online ? LimitReason::Rejected : LimitReason::Offline;
            write_station_deduction(d.deduction, s, i, cfg_);
            sum.add_station(s.node, d.deduction.current);
            continue;
        }
        // At 0 A until allocated; finish() replaces the amount for the
        // admitted. Outside strict mode that counts nothing.
        const PhaseSet phases = s.phases();
        const Amps base = strict ? s.offline_draw() : Amps{};
        d.target = Amps{};
        set_station(d.deduction, s, i);
        if (strict) {
            set_managed_amount(d.deduction, phases, Amps{}, base, cfg_.mode);
            sum.add_station(s.node, d.deduction.current);
        } else {
            d.deduction.rule = DeductionRule::StationLimit;  // of 0 A: the current stays zero
        }
        if (!s.wants_current) {
            d.reason = LimitReason::Idle;
            at_zero_.push_back({i, s.control == Control::Managed, s.least_held()});
            continue;
        }
        const std::int64_t start = strict ? std::max(least_start, base.steps_above(step)) : least_start;
        const bool backend_bound = s.backend_limit && *s.backend_limit < s.max_current;
        const std::int64_t full = (backend_bound ? *s.backend_limit : s.max_current).steps_below(step);
        if (full < start || full <= 0) {
            d.reason = backend_bound ? LimitReason::BackendLimit : LimitReason::NoCapacity;
            at_zero_.push_back({i, s.control == Control::Managed, s.least_held()});
            continue;
        }
        // A station drawing well below its limit gives the rest away, keeping
        // a margin above its draw so that it can show it wants more: only a
        // draw that eats into the margin lifts the cap. Equality keeps it,
        // or a station resting at draw + margin would flip between the two
        // limits on every plan. A draw from before the last raise says
        // nothing about the raise: capping on it would take back a reclaimed
        // share on the very next plan, every time the station asks.
        std::int64_t cap = full;
        if (s.measured && s.control == Control::Managed && !s.draw_predates_limit) {
            const std::int64_t want = (s.measured_peak() + cfg_.reclaim_margin).steps_above(step);
            if (amps(want) <= s.limit_in_force) cap = std::min(cap, std::max(start, want));
        }
        keys_.push_back({s.turn, s.priority});
        const Index span = span_for(s.node, phases);
        span_need_[span] += amps(start) - base;
        if (start != least_start) uniform_start_ = false;
        candidates_.emplace_back(i, s, span, phases, base, amps(start), amps(cap), cap, cap < full,
                                 backend_bound && cap == full);
    }
}

// Give the minimum to as many as fit, higher priority (then lower turn) first.
void Allocator::admit() {
    std::vector<Index> order = admission_order();
    if (admit_all_at_once(std::move(order))) return;
    // One at a time, then, from nothing admitted.
    runs_.assign(1, 0);
    for (Candidate& c : candidates_) {
        c.level = c.base;
        c.admitted = false;
    }
    for (Index k : order) {
        Candidate& c = candidates_[k];
        Amps extra = c.start - c.base;
        bool fits = true;
        for (Index con : constraints_of(c))
            if (used_[con] + extra > cap_[con]) { fits = false; break; }
        if (!fits) {
            Index worst = constraints_of(c).front();
            for (Index con : constraints_of(c))
                if (cap_[con] - used_[con] - extra < cap_[worst] - used_[worst] - extra) worst = con;
            c.bound_by = worst;
            c.frozen = true;
            continue;
        }
        add(c, extra);
        c.level = c.start;
        c.admitted = true;
        admitted_.push_back(k);
    }
    for (std::size_t r = 1; r < admitted_.size(); ++r)
        if (keys_[admitted_[r]].priority != keys_[admitted_[r - 1]].priority) runs_.push_back(r);
    runs_.push_back(admitted_.size());
}

// Candidates in admission order: priority descending, then turn, then
// station. Also sets rank_, and runs_ for when everyone is admitted.
std::vector<Index> Allocator::admission_order() {
    const auto n = static_cast<Index>(keys_.size());
    std::vector<Index> order(n);
    std::iota(order.begin(), order.end(), Index{0});  // station order: the sorts are stable
    int min_priority = std::numeric_limits<int>::max(), max_priority = std::numeric_limits<int>::min();
    std::uint64_t min_turn = std::numeric_limits<std::uint64_t>::max(), max_turn = 0;
    for (const AdmissionKey& k : keys_) {
        min_priority = std::min(min_priority, k.priority);
        max_priority = std::max(max_priority, k.priority);
        min_turn = std::min(min_turn, k.turn);
        max_turn = std::max(max_turn, k.turn);
    }
    // Priorities and turns are usually a few values each: one sort on the
    // pair as one small key. Otherwise two, least significant first.
    const std::uint64_t turns = max_turn - min_turn;  // + 1, without overflowing
    const auto priorities = static_cast<std::uint64_t>(std::int64_t{max_priority} - min_priority);  // + 1
    auto small = [n](std::uint64_t span) { return countable(0, static_cast<std::int64_t>(span), n); };
    const std::uint64_t width = turns + 1;
    if (small(turns) && small(priorities) && small(width * (priorities + 1) - 1)) {
        std::vector<std::int64_t> key(n);
        for (Index k = 0; k < n; ++k)
            key[k] = static_cast<std::int64_t>(static_cast<std::uint64_t>(max_priority - keys_[k].priority) * width +
                                               (keys_[k].turn - min_turn));
        sort_by_keys(order, key, 0, static_cast<std::int64_t>(width * (priorities + 1)) - 1);
    } else {
        sort_by_small_key(order, [&](Index k) {
            return static_cast<std::int64_t>(std::min<std::uint64_t>(keys_[k].turn, INT64_MAX));
        });
        sort_by_small_key(order, [&](Index k) { return -static_cast<std::int64_t>(keys_[k].priority); });
    }
    rank_.resize(n);
    runs_.assign(1, 0);
    for (Index r = 0; r < n; ++r) {
        rank_[order[r]] = r;
        if (r > 0 && keys_[order[r]].priority != keys_[order[r - 1]].priority) runs_.push_back(r);
    }
    runs_.push_back(n);
    return order;
}

// Where every minimum fits at once, as on most sites most of the time, the
// order of admission changes nothing: no minimum is ever negative, so each
// station's check one at a time would pass too.
bool Allocator::admit_all_at_once(std::vector<Index>&& order) {
    std::vector<Amps> need(cap_.size());
    for (Index sp = 0; sp < spans_.size(); ++sp)
        for (Index con : span_constraints(sp)) need[con] += span_need_[sp];
    for (std::size_t con = 0; con < cap_.size(); ++con)
        if (used_[con] + need[con] > cap_[con]) return false;
    for (std::size_t con = 0; con < cap_.size(); ++con) used_[con] += need[con];
    // Every candidate was built admitted, at its start.
    admitted_ = std::move(order);
    return true;
}

// Progressive filling of one priority group: every member's level rises
// together from its start until it reaches its cap or a constraint on its
// path is full; then it stays. Equal levels where the fuses allow it.
void Allocator::fill(std::span<const Index> group) {
    const std::size_t C = cap_.size();
    const std::size_t S = spans_.size();
    // used(λ) = fixed + slope * λ for every constraint while levels rise.
    std::vector<Amps> fixed = used_;
    std::vector<std::int64_t> slope(C, 0);
    std::vector<std::uint8_t> bound(C, 0);
    // What each span's stations changed since it was last carried up.
    std::vector<Amps> span_fixed(S);
    std::vector<std::int64_t> span_slope(S, 0);

    // Per constraint, the level at which it will be full; only rising ones.
    // Equal levels go lowest constraint first.
    MinTree bindings(C);
    // Caps never change during a fill: one sorted list, read front to back.
    std::vector<Index> caps;
    std::vector<std::int64_t> cap_steps;  // the sort keys, parallel to `caps` until sorted
    std::int64_t least_cap = INT64_MAX, most_cap = INT64_MIN;
    std::size_t next_cap = 0;
    Amps highest_cap;

    const std::int64_t step = cfg_.step.milliamps();
    auto binding_level = [&](Index c) {
        // Highest level (a whole number of steps) the constraint still holds
        // at: floor(room / slope / step) in one division.
        return cfg_.step * floor_div((cap_[c] - fixed[c]).milliamps(), slope[c] * step);
    };
    // Binding levels are recomputed once per batch of events at one level,
    // not once per station: a thousand stations starting together touch the
    // site's constraints a thousand times but push one event each.
    DirtySet dirty(C), dirty_spans(S);
    auto touch = [&](const Candidate& cand, Amps fixed_delta, std::int64_t slope_delta) {
        span_fixed[cand.span] += fixed_delta;
        span_slope[cand.span] += slope_delta;
        dirty_spans.insert(cand.span);
    };
    // When many spans changed at once (stations starting or stopping
    // together) nearly every constraint did: they are all looked at again
    // instead of being marked one by one.
    bool all_dirty = false;
    // Carries what the spans gathered to the constraints on their paths.
    auto propagate = [&] {
        if (dirty_spans.size() * 4 > S) all_dirty = true;
        dirty_spans.drain([&](Index sp) {
            const Amps df = std::exchange(span_fixed[sp], Amps{});
            const std::int64_t ds = std::exchange(span_slope[sp], 0);
            for (Index c : span_constraints(sp)) {
                fixed[c] += df;
                slope[c] += ds;
            }
            if (!all_dirty)
                for (Index c : span_constraints(sp)) dirty.insert(c);
        });
    };
    // A constraint that would only fill above every cap never binds.
    auto binding_key = [&](Index c) {
        if (slope[c] <= 0 || bound[c]) return MinTree::kAbsent;
        const Amps level = binding_level(c);
        return level < highest_cap ? level.milliamps() : MinTree::kAbsent;
    };
    auto flush = [&] {
        propagate();
        // Many changed keys: one pass over the whole tree beats replaying
        // each key.
        if (all_dirty) {
            dirty.drain([](Index) {});
            for (Index c = 0; c < C; ++c) bindings.set_quietly(c, binding_key(c));
            bindings.rebuild();
            all_dirty = false;
            return;
        }
        const bool many = dirty.size() * 8 > C;
        dirty.drain([&](Index c) { many ? bindings.set_quietly(c, binding_key(c)) : bindings.set(c, binding_key(c)); });
        if (many) bindings.rebuild();
    };
    auto freeze = [&](Candidate& cand, Amps level, Index why) {
        if (cand.frozen) return;
        if (cand.growing) touch(cand, level, -1);
        cand.level = level;
        cand.frozen = true;
        cand.growing = false;
        cand.bound_by = why;
    };

    // One pass over the members, which are in tree preorder and so reach
    // the candidates out of order: it finds where each subtree's members
    // start in `group` (a subtree is a range) and gathers the caps. When
    // every candidate starts at the same level (always outside strict mode)
    // the members also start rising here: nothing can happen below the
    // start, so it is the first event.
    std::vector<std::uint32_t> from(tree_.size() + 1);
    std::uint32_t next_pos = 0;
    caps.reserve(group.size());
    cap_steps.reserve(group.size());
    for (std::uint32_t m = 0; m < group.size(); ++m) {
        Candidate& cand = candidates_[group[m]];
        for (const std::uint32_t pos = preorder(cand); next_pos <= pos;) from[next_pos++] = m;
        if (cand.cap > cand.start) {
            caps.push_back(group[m]);
            cap_steps.push_back(cand.cap_steps);
            least_cap = std::min(least_cap, cand.cap_steps);
            most_cap = std::max(most_cap, cand.cap_steps);
        }
        if (!uniform_start_) continue;
        if (cand.cap <= cand.start) {
            cand.frozen = true;
        } else {
            cand.growing = true;
            touch(cand, -cand.start, +1);
        }
    }
    while (next_pos < from.size()) from[next_pos++] = static_cast<std::uint32_t>(group.size());
    sort_by_keys(caps, cap_steps, least_cap, most_cap);
    if (!caps.empty()) highest_cap = candidates_[caps.back()].cap;
    if (uniform_start_) flush();

    // Members not rising yet, by start level: none when they all started
    // above, the group itself when its starts agree anyway.
    std::vector<Index> by_start;
    std::span<const Index> pending;
    if (!uniform_start_) {
        const bool same_start = std::all_of(group.begin(), group.end(), [&](Index k) {
            return candidates_[k].start == candidates_[group[0]].start;
        });
        if (!same_start) {
            by_start.assign(group.begin(), group.end());
            std::stable_sort(by_start.begin(), by_start.end(),
                             [&](Index a, Index b) { return candidates_[a].start < candidates_[b].start; });
        }
        pending = same_start ? group : std::span<const Index>(by_start);
    }
    std::size_t next_pending = 0;
    std::vector<Index> stopped;
    auto bind = [&](Index c, Amps level) {
        bound[c] = 1;
        const Constraint con = constraint(c);
        const auto lo = group.begin() + from[tree_.preorder_index(con.node)];
        const auto hi = group.begin() + from[tree_.subtree_end(con.node)];
        stopped.clear();
        for (auto it = lo; it != hi; ++it) {
            Candidate& cand = candidates_[*it];
            if (cand.frozen || !cand.phases.contains(con.phase)) continue;
            if (cand.growing) stopped.push_back(*it);
            // One not rising yet stays at its start: the constraint is full.
            freeze(cand, cand.growing ? level : cand.level, c);
        }
        // The room checks below read the constraints themselves.
        propagate();
        // What the level could not split evenly goes out now, a step each in
        // admission order, before other stations grow into those fuses' room.
        std::sort(stopped.begin(), stopped.end(),
                  [&](Index a, Index b) { return rank_[a] < rank_[b]; });
        for (Index k : stopped) {
            Candidate& cand = candidates_[k];
            if (cand.level + cfg_.step > cand.cap) continue;
            bool room = true;
            for (Index other : constraints_of(cand))
                room = room && cap_[other] - fixed[other] -
                                       Amps::milli(slope[other] * level.milliamps()) >= cfg_.step;
            if (!room) continue;
            cand.level += cfg_.step;
            for (Index other : constraints_of(cand)) {
                fixed[other] += cfg_.step;
                dirty.insert(other);
            }
        }
    };

    while (true) {
        while (next_cap < caps.size() && candidates_[caps[next_cap]].frozen) ++next_cap;
        while (next_pending < pending.size() && candidates_[pending[next_pending]].frozen) ++next_pending;

        const bool have_bind = !bindings.empty(), have_cap = next_cap < caps.size(), have_start = next_pending < pending.size();
        if (!have_bind && !have_cap && !have_start) break;
        Amps lb = have_bind ? Amps::milli(bindings.top_key()) : Amps::milli(INT64_MAX);
        Amps lc = have_cap ? candidates_[caps[next_cap]].cap : Amps::milli(INT64_MAX);
        Amps ls = have_start ? candidates_[pending[next_pending]].start : Amps::milli(INT64_MAX);

        if (have_bind && lb <= lc && lb <= ls) {
            Index c = bindings.top();
            bindings.erase(c);
            bind(c, lb);
        } else if (have_cap && lc <= ls) {
            for (; next_cap < caps.size() && candidates_[caps[next_cap]].cap == lc; ++next_cap)
                freeze(candidates_[caps[next_cap]], lc, kNone);
        } else {
            for (; next_pending < pending.size() && candidates_[pending[next_pending]].start == ls; ++next_pending) {
                Candidate& cand = candidates_[pending[next_pending]];
                if (cand.frozen) continue;
                if (cand.cap <= cand.start) {
                    cand.frozen = true;
                    continue;
                }
                cand.growing = true;
                touch(cand, -cand.start, +1);
            }
        }
        flush();
    }
    propagate();
    used_ = std::move(fixed);
}

// Whole steps the filling could not split evenly go out one per station per
// round, so shares stay equal to a step; rounds go on while anyone can take
// one. Afterwards no member is below its cap while every fuse on its path
// has a step of room (work conservation).
void Allocator::share_remainder(std::span<const Index> group) {
    std::vector<Index> active, next;
    for (Index k : group)
        if (candidates_[k].level < candidates_[k].cap) active.push_back(k);
    while (!active.empty()) {
        next.clear();
        for (Index k : active) {
            Candidate& c = candidates_[k];
            bool room = c.level + cfg_.step <= c.cap;
            for (Index con : constraints_of(c)) room = room && headroom(con) >= cfg_.step;
            if (!room) continue;  // headroom only shrinks: it will not take one later
            add(c, cfg_.step);
            c.level += cfg_.step;
            if (c.level < c.cap) next.push_back(k);
        }
        active.swap(next);
    }
}

Allocation Allocator::finish() {
    // Loads are final here: every station of a span is held back by the same fuse.
    std::vector<Index> tightest_of_span(spans_.size(), kNone);
    NodeLoadSum allocated(tree_);
    const bool strict = cfg_.mode == PolicyMode::Strict;
    // The plan goes in station order: the stations at 0 A that classify()
    // set aside are merged in between the candidates.
    PlanBuilder plan(site_.stations.size(), cfg_.step);
    auto next_at_zero = at_zero_.begin();
    auto plan_at_zero_before = [&](Index station) {
        for (; next_at_zero != at_zero_.end() && next_at_zero->station < station; ++next_at_zero)
            plan.add(next_at_zero->station, next_at_zero->managed, next_at_zero->least_held, Amps{});
    };
    for (const Candidate& c : candidates_) {
        // classify() wrote who and where, no target bound and, outside
        // strict mode, the rule; what is left is the amount and why.
        StationDecision& d = decisions_[c.station];
        plan_at_zero_before(c.station);
        plan.add(c.station, c.managed, c.least_held, c.admitted ? c.level : Amps{});
        if (!c.admitted) {
            d.reason = LimitReason::Paused;
            d.bound_by = as_constraint(c.bound_by);
            continue;
        }
        d.target = c.level;
        const PhaseCurrents given = PhaseCurrents::on(c.phases, c.level);
        if (strict) {
            set_managed_amount(d.deduction, c.phases, c.level, c.base, cfg_.mode);
        } else {
            d.deduction.current = given;
        }
        allocated.add_station(d.deduction.node, given);
        if (c.level >= c.cap) {
            d.reason = c.follows_draw    ? LimitReason::FollowsDraw
                       : c.backend_bound ? LimitReason::BackendLimit
                                         : LimitReason::AtMaximum;
        } else {
            d.reason = LimitReason::FairShare;
            Index& t = tightest_of_span[c.span];
            if (t == kNone) t = tightest(c);
            d.bound_by = constraint(t);
        }
    }
    plan_at_zero_before(kNone);
    Allocation out;
    out.plan = plan.take();
    // The stations' share of each node's load is what the filling counted,
    // less the devices' (which allocation never changes): no second sum.
    for (Index n = 0; n < tree_.size(); ++n)
        for (Phase p : kAllPhases)
            loads_[n].stations[p] = used_[n * 3 + index(p)] - loads_[n].non_ev[p] - loads_[n].ems[p];
    out.stations = std::move(decisions_);
    out.devices = std::move(devices_);
    out.loads = std::move(loads_);
    for (const auto& l : allocated.take()) out.allocated.push_back(l.stations);
    return out;
}

Allocation Allocator::run() {
    NodeLoadSum sum(tree_);
    classify(sum);
    devices_ = meter_deductions(tree_, site_, std::move(draw_));
    auto ems = ems_deductions(site_);
    devices_.insert(devices_.end(), ems.begin(), ems.end());
    for (const auto& d : devices_) sum.add(d);
    loads_ = sum.take();
    cap_.resize(tree_.size() * 3);
    used_.resize(tree_.size() * 3);
    for (Index n = 0; n < tree_.size(); ++n) {
        const Amps c = capacity(tree_, NodeId{n}, cfg_);
        const PhaseCurrents total = loads_[n].total();
        for (Phase p : kAllPhases) {
            cap_[n * 3 + index(p)] = c;
            used_[n * 3 + index(p)] = total[p];
        }
    }

    admit();
    // Priority groups, highest first; lower ones sit at their minimum
    // meanwhile. Admission order puts priority first, so each group is a run
    // of `admitted_`; the same groups in tree preorder (every subtree then a
    // contiguous range) come from one counting sort.
    const std::vector<std::size_t>& runs = runs_;
    std::vector<std::uint32_t> group_of(candidates_.size(), 0);
    for (std::uint32_t g = 0; g + 1 < runs.size(); ++g)
        for (std::size_t r = runs[g]; r < runs[g + 1]; ++r) group_of[admitted_[r]] = g;
    std::vector<Index> in_tree_order;
    std::vector<std::int64_t> position;  // the sort keys
    in_tree_order.reserve(admitted_.size());
    position.reserve(admitted_.size());
    const auto nodes = static_cast<std::int64_t>(tree_.size());
    for (Index k = 0; k < candidates_.size(); ++k) {
        if (!candidates_[k].admitted) continue;
        in_tree_order.push_back(k);
        position.push_back(group_of[k] * nodes + preorder(candidates_[k]));
    }
    sort_by_keys(in_tree_order, position, 0, static_cast<std::int64_t>(runs.size() - 1) * nodes - 1);
    const std::span<const Index> by_tree(in_tree_order), by_admission(admitted_);
    for (std::size_t g = 0; g + 1 < runs.size(); ++g) {
        if (runs[g] == runs[g + 1]) continue;  // nobody admitted
        fill(by_tree.subspan(runs[g], runs[g + 1] - runs[g]));
        // Admission order: higher priority, then lower turn, gets the odd step.
        share_remainder(by_admission.subspan(runs[g], runs[g + 1] - runs[g]));
    }
    return finish();
}

}  // namespace

Allocation allocate(const FuseTree& tree, const SiteState& site) { return Allocator(tree, site).run(); }

std::vector<Deduction> all_deductions(const Allocation& a) {
    std::vector<Deduction> all = a.devices;
    for (const auto& d : a.stations) all.push_back(d.deduction);
    return all;
}

std::string describe(const StationDecision& d, const StationInput& s, const FuseTree& tree) {
    std::string where;
    if (d.bound_by) where = tree.node(d.bound_by->node).name + " " + std::string(name(d.bound_by->phase));
    std::string limit = d.target ? format(*d.target) : std::string("no limit");
    switch (d.reason) {
    case LimitReason::Offline: return s.id + " " + std::string(name(s.state)) + ": no limit can be sent";
    case LimitReason::Rejected: return s.id + " rejected its limit: counted at capacity " + format(s.max_current);
    case LimitReason::Idle: return s.id + " idle -> 0 A";
    case LimitReason::NoCapacity:
        return s.id + " capacity " + format(s.max_current) + " is below the minimum -> 0 A";
    case LimitReason::Paused: return s.id + " paused: the minimum does not fit on " + where + " -> 0 A";
    case LimitReason::AtMaximum: return s.id + " at its maximum -> " + limit;
    case LimitReason::FollowsDraw: return s.id + " draws less than its share -> " + limit;
    case LimitReason::FairShare: return s.id + " fair share of " + where + " -> " + limit;
    case LimitReason::BackendLimit:
        return s.id + " backend limit " + format(s.backend_limit.value_or(Amps{})) + " -> " +
               (d.target ? limit : std::string("0 A"));
    }
    return s.id;
}

}  // namespace fuseguard::policy
