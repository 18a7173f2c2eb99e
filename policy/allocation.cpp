#include "allocation.hpp"

#include <algorithm>
#include <functional>
#include <queue>
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
        bool admitted = false;
        bool frozen = false;
        bool growing = false;
        std::optional<Constraint> bound_by;
    };

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

    void classify();
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
    std::vector<Index> path_constraints_;
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
void Allocator::classify() {
    const auto& stations = site_.stations;
    decisions_.resize(stations.size());
    // Candidates are created in tree preorder (a counting sort by node), so
    // every subtree's candidates are a contiguous index range.
    std::vector<Index> first(tree_.size() + 1, 0);
    for (const auto& s : stations) ++first[tree_.preorder_index(s.node) + 1];
    for (std::size_t n = 1; n < first.size(); ++n) first[n] += first[n - 1];
    std::vector<Index> in_tree_order(stations.size());
    for (Index i = 0; i < stations.size(); ++i) in_tree_order[first[tree_.preorder_index(stations[i].node)]++] = i;
    candidates_.reserve(stations.size());
    path_constraints_.reserve(stations.size() * 6);
    for (Index i : in_tree_order) {
        const StationInput& s = stations[i];
        StationDecision& d = decisions_[i];
        if (!is_online(s.state) || s.control == Control::Rejected) {
            d.reason = is_online(s.state) ? LimitReason::Rejected : LimitReason::Offline;
            d.deduction = station_deduction(s, i, cfg_);
            continue;
        }
        d.target = Amps{};
        d.deduction = managed_deduction(s, i, Amps{}, cfg_);
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
        // a margin above its draw so that it can show it wants more.
        if (s.measured && s.control == Control::Managed) {
            Amps draw = s.measured_peak();
            if (draw + cfg_.reclaim_margin < s.limit_in_force)
                cap = min(cap, max(start, (draw + cfg_.reclaim_margin).ceil_to(cfg_.step)));
        }
        Candidate c;
        c.station = i;
        c.base = base;
        c.start = start;
        c.cap = cap;
        c.level = base;
        c.first_constraint = static_cast<std::uint32_t>(path_constraints_.size());
        c.preorder = tree_.preorder_index(s.node);
        const PhaseSet phases = s.phases();
        for (NodeId n : tree_.node(s.node).path)
            for (Phase p : kAllPhases)
                if (phases.contains(p)) path_constraints_.push_back(n.value * 3 + static_cast<Index>(index(p)));
        c.constraint_count = static_cast<std::uint32_t>(path_constraints_.size()) - c.first_constraint;
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
        const StationInput& s = site_.stations[candidates_[k].station];
        keys.push_back({s.priority, s.turn, candidates_[k].station, k});
    }
    std::sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) {
        if (a.priority != b.priority) return a.priority > b.priority;
        if (a.turn != b.turn) return a.turn < b.turn;
        return a.station < b.station;
    });
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
            c.bound_by = constraint(worst);
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
    std::vector<std::uint32_t> version(C, 0);
    std::vector<bool> bound(C, false);

    struct Event { Amps level; Index id; std::uint32_t version; };
    auto later = [](const Event& a, const Event& b) { return a.level > b.level; };
    std::priority_queue<Event, std::vector<Event>, decltype(later)> bindings(later), caps(later);

    auto binding_level = [&](Index c) {
        // Highest level (a whole number of steps) the constraint still holds at.
        std::int64_t room = (cap_[c] - fixed[c]).milliamps();
        return Amps::milli(room / slope[c]).floor_to(cfg_.step);
    };
    // Binding levels are recomputed once per batch of events at one level,
    // not once per station: a thousand stations starting together touch the
    // site's constraints a thousand times but push one event each.
    std::vector<Index> dirty;
    std::vector<bool> is_dirty(C, false);
    auto touch = [&](const Candidate& cand, Amps fixed_delta, std::int64_t slope_delta) {
        for (Index c : constraints_of(cand)) {
            fixed[c] += fixed_delta;
            slope[c] += slope_delta;
            if (!is_dirty[c]) is_dirty[c] = true, dirty.push_back(c);
        }
    };
    auto flush = [&] {
        for (Index c : dirty) {
            is_dirty[c] = false;
            ++version[c];
            if (slope[c] > 0 && !bound[c]) bindings.push({binding_level(c), c, version[c]});
        }
        dirty.clear();
    };
    auto freeze = [&](Candidate& cand, Amps level, std::optional<Constraint> why) {
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
        bound[c] = true;
        const Constraint con = constraint(c);
        auto lo = std::lower_bound(group.begin(), group.end(), tree_.preorder_index(con.node),
                                   [&](Index k, std::uint32_t pos) { return candidates_[k].preorder < pos; });
        auto hi = std::lower_bound(lo, group.end(), tree_.subtree_end(con.node),
                                   [&](Index k, std::uint32_t pos) { return candidates_[k].preorder < pos; });
        std::vector<Index> stopped;
        for (auto it = lo; it != hi; ++it) {
            Candidate& cand = candidates_[*it];
            if (cand.frozen || !site_.stations[cand.station].phases().contains(con.phase)) continue;
            if (cand.growing) stopped.push_back(*it);
            // One not rising yet stays at its start: the constraint is full.
            freeze(cand, cand.growing ? level : cand.level, con);
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
            touch(cand, cfg_.step, 0);
        }
    };

    while (true) {
        while (!bindings.empty() && (bound[bindings.top().id] || bindings.top().version != version[bindings.top().id]))
            bindings.pop();
        while (!caps.empty() && candidates_[caps.top().id].frozen) caps.pop();
        while (next_pending < pending.size() && candidates_[pending[next_pending]].frozen) ++next_pending;

        const bool have_bind = !bindings.empty(), have_cap = !caps.empty(), have_start = next_pending < pending.size();
        if (!have_bind && !have_cap && !have_start) break;
        Amps lb = have_bind ? bindings.top().level : Amps::milli(INT64_MAX);
        Amps lc = have_cap ? caps.top().level : Amps::milli(INT64_MAX);
        Amps ls = have_start ? candidates_[pending[next_pending]].start : Amps::milli(INT64_MAX);

        if (have_bind && lb <= lc && lb <= ls) {
            Index c = bindings.top().id;
            bindings.pop();
            bind(c, lb);
        } else if (have_cap && lc <= ls) {
            while (!caps.empty() && caps.top().level == lc) {
                Candidate& cand = candidates_[caps.top().id];
                caps.pop();
                freeze(cand, cand.cap, std::nullopt);
            }
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
                caps.push({cand.cap, k, 0});
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
        d.bound_by = c.bound_by;
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
    out.stations = std::move(decisions_);
    out.devices = std::move(devices_);
    out.loads = node_loads(tree_, all_deductions(out));
    std::vector<Deduction> limits;
    for (const auto& d : out.stations)
        if (d.target) {
            Deduction l = d.deduction;
            l.current = PhaseCurrents::on(site_.stations[l.index].phases(), *d.target);
            limits.push_back(l);
        }
    auto summed = node_loads(tree_, limits);
    out.allocated.reserve(summed.size());
    for (const auto& l : summed) out.allocated.push_back(l.stations);
    return out;
}

Allocation Allocator::run() {
    classify();
    devices_ = meter_deductions(tree_, site_);
    auto ems = ems_deductions(site_);
    devices_.insert(devices_.end(), ems.begin(), ems.end());

    std::vector<Deduction> base = devices_;
    for (const auto& d : decisions_) base.push_back(d.deduction);
    const auto loads = node_loads(tree_, base);
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
    std::vector<int> priorities;
    for (Index k : admitted_) priorities.push_back(site_.stations[candidates_[k].station].priority);
    std::sort(priorities.begin(), priorities.end(), std::greater<>());
    priorities.erase(std::unique(priorities.begin(), priorities.end()), priorities.end());
    std::vector<Index> in_tree_order, in_admission_order;
    for (int prio : priorities) {
        in_tree_order.clear();
        in_admission_order.clear();
        for (Index k = 0; k < candidates_.size(); ++k)
            if (candidates_[k].admitted && site_.stations[candidates_[k].station].priority == prio)
                in_tree_order.push_back(k);
        for (Index k : admitted_)
            if (site_.stations[candidates_[k].station].priority == prio) in_admission_order.push_back(k);
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
