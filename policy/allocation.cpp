#include "allocation.hpp"

#include "indexed_heap.hpp"
#include "small_key_sort.hpp"

#include <algorithm>
#include <functional>
#include <span>

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
    case LimitReason::FairShare: return "fair_share";
    }
    return "unknown";
}

namespace {

using Index = std::uint32_t;

// Working state of one allocation. Constraint c = node * 3 + phase; `used`
// holds the load of the whole subtree on that phase.
class Allocator {
public:
    Allocator(const FuseTree& tree, const SiteState& site) : tree_(tree), site_(site), cfg_(site.settings) {}

    Allocation run();

private:
    struct Candidate {
        Index station = 0;
        Amps base;   // counted even at 0 A (strict mode reserve)
        Amps start;  // the minimum it charges at once admitted
        Amps cap;    // the most it may get this round
        Amps level;  // its limit as allocation proceeds
        std::uint32_t first_constraint = 0, constraint_count = 0;
        std::uint32_t preorder = 0;
        int priority = 0;
        PhaseSet phases;
        bool admitted = false;
        bool frozen = false;
        bool growing = false;
        Index bound_by = kNoConstraint;
    };
    static constexpr Index kNoConstraint = ~Index{0};
    std::optional<Constraint> as_constraint(Index c) const {
        if (c == kNoConstraint) return std::nullopt;
        return constraint(c);
    }

    std::span<const Index> constraints_of(const Candidate& c) const {
        return {path_constraints_.data() + c.first_constraint, c.constraint_count};
    }
    Constraint constraint(Index c) const { return {NodeId{c / 3}, static_cast<Phase>(c % 3)}; }
    Amps headroom(Index c) const { return cap_[c] - used_[c]; }
    void add(const Candidate& c, Amps delta) {
        for (Index k : constraints_of(c)) used_[k] += delta;
    }
    // The constraint on the candidate's path with the least headroom.
    Index tightest(const Candidate& c) const;

    void classify(NodeLoadSum& stations);
    void admit();
    void fill(const std::vector<Index>& group);
    void share_remainder(const std::vector<Index>& group);
    Allocation finish();

    const FuseTree& tree_;
    const SiteState& site_;
    const PolicySettings& cfg_;
    std::vector<StationDecision> decisions_;
    std::vector<Deduction> devices_;
    std::vector<Candidate> candidates_;
    std::vector<Index> path_constraints_;  // shared lists, see path_spans_
    std::vector<std::pair<std::uint32_t, std::uint32_t>> path_spans_;  // per node * 8 + phase bits
    std::vector<Amps> cap_;
    std::vector<Amps> used_;
    std::vector<Index> admitted_;  // candidate indices, in admission order
    std::vector<Index> rank_;      // per candidate: its place in admission order
};

Index Allocator::tightest(const Candidate& c) const {
    auto cs = constraints_of(c);
    Index best = cs.front();
    for (Index k : cs)
        if (headroom(k) < headroom(best)) best = k;
    return best;
}

// Decide who can be allocated at all, and count everyone else as SPEC 1 says.
void Allocator::classify(NodeLoadSum& sum) {
    const auto& stations = site_.stations;
    decisions_.resize(stations.size());
    candidates_.reserve(stations.size());
    path_spans_.assign(tree_.size() * 8, {0, 0});
    for (Index i = 0; i < stations.size(); ++i) {
        const StationInput& s = stations[i];
        StationDecision& d = decisions_[i];
        if (!is_online(s.state) || s.control == Control::Rejected) {
            d.reason = is_online(s.state) ? LimitReason::Rejected : LimitReason::Offline;
            d.deduction = station_deduction(s, i, cfg_);
            sum.add_station(s.node, d.deduction.current);
            continue;
        }
        d.target = Amps{};
        // At 0 A until allocated; finish() replaces it for the admitted.
        d.deduction = managed_deduction(s, i, Amps{}, cfg_);
        sum.add_station(s.node, d.deduction.current);
        // A station that charges gets at least one step, even with min 0.
        Amps start = max(cfg_.min_current.ceil_to(cfg_.step), cfg_.step);
        Amps base = cfg_.mode == PolicyMode::Strict ? s.offline_draw() : Amps{};
        if (cfg_.mode == PolicyMode::Strict) start = max(start, base.ceil_to(cfg_.step));
        Amps cap = s.max_current.floor_to(cfg_.step);
        if (!s.wants_current) {
            d.reason = LimitReason::Idle;
            continue;
        }
        if (cap < start || cap <= Amps{}) {
            d.reason = LimitReason::NoCapacity;
            continue;
        }
        // A station drawing well below its limit gives the rest away, keeping
        // a margin above its draw so that it can show it wants more: only a
        // draw that eats into the margin lifts the cap. Equality keeps it,
        // or a station resting at draw + margin would flip between the two
        // limits on every plan.
        if (s.measured && s.control == Control::Managed) {
            const Amps want = (s.measured_peak() + cfg_.reclaim_margin).ceil_to(cfg_.step);
            if (want <= s.limit_in_force) cap = min(cap, max(start, want));
        }
        Candidate c;
        c.station = i;
        c.base = base;
        c.start = start;
        c.cap = cap;
        c.level = base;
        c.preorder = tree_.preorder_index(s.node);
        c.priority = s.priority;
        c.phases = s.phases();
        // Stations on the same board with the same phases share one list.
        auto& span = path_spans_[s.node.value * 8 + c.phases.bits()];
        if (span.second == 0) {
            span.first = static_cast<std::uint32_t>(path_constraints_.size());
            for (NodeId n : tree_.node(s.node).path)
                for (Phase p : kAllPhases)
                    if (c.phases.contains(p)) path_constraints_.push_back(n.value * 3 + static_cast<Index>(index(p)));
            span.second = static_cast<std::uint32_t>(path_constraints_.size()) - span.first;
        }
        c.first_constraint = span.first;
        c.constraint_count = span.second;
        candidates_.push_back(c);
    }
}

// Give the minimum to as many as fit, higher priority (then lower turn) first.
void Allocator::admit() {
    struct Key {
        int priority;
        std::uint64_t turn;
        Index station, k;
    };
    std::vector<Key> keys;
    keys.reserve(candidates_.size());
    for (Index k = 0; k < candidates_.size(); ++k) {
        keys.push_back({candidates_[k].priority, site_.stations[candidates_[k].station].turn, candidates_[k].station, k});
    }
    // Priority descending, then turn ascending, then station order. Turns
    // are usually few distinct values: one counting pass on a combined key;
    // otherwise two stable passes, least significant first.
    std::uint64_t max_turn = 0;
    for (const Key& k : keys) max_turn = std::max(max_turn, k.turn);
    if (max_turn < (1u << 20)) {
        const auto span = static_cast<std::int64_t>(max_turn) + 1;
        sort_by_small_key(keys, [span](const Key& k) {
            return -static_cast<std::int64_t>(k.priority) * span + static_cast<std::int64_t>(k.turn);
        });
    } else {
        sort_by_small_key(keys, [](const Key& k) { return static_cast<std::int64_t>(std::min<std::uint64_t>(k.turn, INT64_MAX)); });
        sort_by_small_key(keys, [](const Key& k) { return -static_cast<std::int64_t>(k.priority); });
    }
    std::vector<Index> order(keys.size());
    for (std::size_t r = 0; r < keys.size(); ++r) order[r] = keys[r].k;
    rank_.assign(candidates_.size(), 0);
    for (Index r = 0; r < order.size(); ++r) rank_[order[r]] = r;
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
}

// Progressive filling of one priority group: every member's level rises
// together from its start until it reaches its cap or a constraint on its
// path is full; then it stays. Equal levels where the fuses allow it.
void Allocator::fill(const std::vector<Index>& group) {
    const std::size_t C = cap_.size();
    // used(λ) = fixed + slope * λ for every constraint while levels rise.
    std::vector<Amps> fixed = used_;
    std::vector<std::int64_t> slope(C, 0);
    std::vector<std::uint8_t> bound(C, 0);

    // Per constraint, the level at which it will be full; only rising ones.
    IndexedMinHeap<Amps> bindings(C);
    // Caps never change during a fill: one sorted list, read front to back.
    std::vector<std::pair<Amps, Index>> caps;
    for (Index k : group)
        if (candidates_[k].cap > candidates_[k].start) caps.emplace_back(candidates_[k].cap, k);
    const std::int64_t step = cfg_.step.milliamps();
    sort_by_small_key(caps, [step](const std::pair<Amps, Index>& c) { return c.first.milliamps() / step; });
    std::size_t next_cap = 0;
    const Amps highest_cap = caps.empty() ? Amps{} : caps.back().first;

    auto binding_level = [&](Index c) {
        // Highest level (a whole number of steps) the constraint still holds at.
        std::int64_t room = (cap_[c] - fixed[c]).milliamps();
        return Amps::milli(room / slope[c]).floor_to(cfg_.step);
    };
    // Binding levels are recomputed once per batch of events at one level,
    // not once per station: a thousand stations starting together touch the
    // site's constraints a thousand times but push one event each.
    std::vector<Index> dirty;
    std::vector<std::uint8_t> is_dirty(C, 0);
    auto mark = [&](Index c) {
        if (!is_dirty[c]) is_dirty[c] = 1, dirty.push_back(c);
    };
    auto touch = [&](const Candidate& cand, Amps fixed_delta, std::int64_t slope_delta) {
        for (Index c : constraints_of(cand)) {
            fixed[c] += fixed_delta;
            slope[c] += slope_delta;
            mark(c);
        }
    };
    auto flush = [&] {
        for (Index c : dirty) {
            is_dirty[c] = 0;
            // A constraint that would only fill above every cap never binds.
            const bool may_bind = slope[c] > 0 && !bound[c] && binding_level(c) < highest_cap;
            if (may_bind) bindings.set(c, binding_level(c));
            else bindings.erase(c);
        }
        dirty.clear();
    };
    auto freeze = [&](Candidate& cand, Amps level, Index why) {
        if (cand.frozen) return;
        if (cand.growing) touch(cand, level, -1);
        cand.level = level;
        cand.frozen = true;
        cand.growing = false;
        cand.bound_by = why;
    };

    // `group` is in candidate order, which is tree preorder: a subtree is a range.
    std::vector<Index> pending = group;  // not rising yet, by start level
    const bool same_start = std::all_of(group.begin(), group.end(),
                                        [&](Index k) { return candidates_[k].start == candidates_[group[0]].start; });
    if (!same_start)
        std::stable_sort(pending.begin(), pending.end(),
                         [&](Index a, Index b) { return candidates_[a].start < candidates_[b].start; });
    std::size_t next_pending = 0;

    auto bind = [&](Index c, Amps level) {
        bound[c] = 1;
        const Constraint con = constraint(c);
        auto lo = std::lower_bound(group.begin(), group.end(), tree_.preorder_index(con.node),
                                   [&](Index k, std::uint32_t pos) { return candidates_[k].preorder < pos; });
        auto hi = std::lower_bound(lo, group.end(), tree_.subtree_end(con.node),
                                   [&](Index k, std::uint32_t pos) { return candidates_[k].preorder < pos; });
        std::vector<Index> stopped;
        for (auto it = lo; it != hi; ++it) {
            Candidate& cand = candidates_[*it];
            if (cand.frozen || !cand.phases.contains(con.phase)) continue;
            if (cand.growing) stopped.push_back(*it);
            // One not rising yet stays at its start: the constraint is full.
            freeze(cand, cand.growing ? level : cand.level, c);
        }
        // What the level could not split evenly goes out now, a step each in
        // admission order, before other stations grow into those fuses' room.
        std::sort(stopped.begin(), stopped.end(), [&](Index a, Index b) { return rank_[a] < rank_[b]; });
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
                mark(other);
            }
        }
    };

    while (true) {
        while (next_cap < caps.size() && candidates_[caps[next_cap].second].frozen) ++next_cap;
        while (next_pending < pending.size() && candidates_[pending[next_pending]].frozen) ++next_pending;

        const bool have_bind = !bindings.empty(), have_cap = next_cap < caps.size(), have_start = next_pending < pending.size();
        if (!have_bind && !have_cap && !have_start) break;
        Amps lb = have_bind ? bindings.top_key() : Amps::milli(INT64_MAX);
        Amps lc = have_cap ? caps[next_cap].first : Amps::milli(INT64_MAX);
        Amps ls = have_start ? candidates_[pending[next_pending]].start : Amps::milli(INT64_MAX);

        if (have_bind && lb <= lc && lb <= ls) {
            Index c = bindings.top();
            bindings.erase(c);
            bind(c, lb);
        } else if (have_cap && lc <= ls) {
            for (; next_cap < caps.size() && caps[next_cap].first == lc; ++next_cap)
                freeze(candidates_[caps[next_cap].second], lc, kNoConstraint);
        } else {
            for (; next_pending < pending.size() && candidates_[pending[next_pending]].start == ls; ++next_pending) {
                const Index k = pending[next_pending];
                Candidate& cand = candidates_[k];
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
    for (std::size_t c = 0; c < C; ++c) used_[c] = fixed[c];
}

// Whole steps the filling could not split evenly go out one per station per
// round, so shares stay equal to a step; rounds go on while anyone can take
// one. Afterwards no member is below its cap while every fuse on its path
// has a step of room (work conservation).
void Allocator::share_remainder(const std::vector<Index>& group) {
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
    for (const Candidate& c : candidates_) {
        const StationInput& s = site_.stations[c.station];
        StationDecision& d = decisions_[c.station];
        d.bound_by = as_constraint(c.bound_by);
        if (!c.admitted) {
            d.reason = LimitReason::Paused;
            continue;
        }
        d.target = c.level;
        d.deduction = managed_deduction(s, c.station, c.level, cfg_);
        if (c.level >= c.cap) {
            d.bound_by.reset();
            d.reason = c.cap < s.max_current.floor_to(cfg_.step) ? LimitReason::FollowsDraw : LimitReason::AtMaximum;
        } else {
            d.reason = LimitReason::FairShare;
            d.bound_by = constraint(tightest(c));
        }
    }
    Allocation out;
    NodeLoadSum loads(tree_), allocated(tree_);
    for (const auto& d : devices_) loads.add(d);
    for (const auto& d : decisions_) {
        loads.add(d.deduction);
        if (!d.target) continue;
        allocated.add_station(d.deduction.node, PhaseCurrents::on(site_.stations[d.deduction.index].phases(), *d.target));
    }
    out.stations = std::move(decisions_);
    out.devices = std::move(devices_);
    out.loads = loads.take();
    for (const auto& l : allocated.take()) out.allocated.push_back(l.stations);
    return out;
}

Allocation Allocator::run() {
    NodeLoadSum sum(tree_);
    classify(sum);
    devices_ = meter_deductions(tree_, site_);
    auto ems = ems_deductions(site_);
    devices_.insert(devices_.end(), ems.begin(), ems.end());
    for (const auto& d : devices_) sum.add(d);
    const auto loads = sum.take();
    cap_.resize(tree_.size() * 3);
    used_.resize(tree_.size() * 3);
    for (Index n = 0; n < tree_.size(); ++n) {
        const Amps c = capacity(tree_, NodeId{n}, cfg_);
        const PhaseCurrents total = loads[n].total();
        for (Phase p : kAllPhases) {
            cap_[n * 3 + index(p)] = c;
            used_[n * 3 + index(p)] = total[p];
        }
    }

    admit();
    // Priority groups, highest first; lower ones sit at their minimum meanwhile.
    std::vector<int> priorities;  // distinct, and there are few of them
    for (Index k : admitted_)
        if (std::find(priorities.begin(), priorities.end(), candidates_[k].priority) == priorities.end())
            priorities.push_back(candidates_[k].priority);
    std::sort(priorities.begin(), priorities.end(), std::greater<>());
    // Candidates in tree preorder: every subtree is then a contiguous range.
    std::vector<Index> tree_order(candidates_.size());
    for (Index k = 0; k < tree_order.size(); ++k) tree_order[k] = k;
    sort_by_small_key(tree_order, [&](Index k) { return static_cast<std::int64_t>(candidates_[k].preorder); });
    std::vector<Index> in_tree_order, in_admission_order;
    for (int prio : priorities) {
        in_tree_order.clear();
        in_admission_order.clear();
        for (Index k : tree_order)
            if (candidates_[k].admitted && candidates_[k].priority == prio) in_tree_order.push_back(k);
        for (Index k : admitted_)
            if (candidates_[k].priority == prio) in_admission_order.push_back(k);
        fill(in_tree_order);
        // Admission order: higher priority, then lower turn, gets the odd step.
        share_remainder(in_admission_order);
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
    }
    return s.id;
}

}  // namespace fuseguard::policy
