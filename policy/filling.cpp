// Progressive filling of the admitted stations, one priority group at a
// time, and the whole steps left over (SPEC 3: fair shares, water-filling).
#include "allocator.hpp"

namespace fuseguard::policy::detail {

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

}  // namespace fuseguard::policy::detail
