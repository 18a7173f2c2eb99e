#include "allocation.hpp"

#include "allocator.hpp"

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
    case LimitReason::Calm: return "calm";
    case LimitReason::FairShare: return "fair_share";
    }
    return "unknown";
}

namespace detail {

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
        span_start_margin_.emplace_back();
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
    if (needs_station_draw(site_)) draw_.assign(tree_.size());
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
        if (need_draw && online) draw_.add(s.node, s);
        if (!online || s.control == Control::Rejected) {
            d.reason = online ? LimitReason::Rejected : LimitReason::Offline;
            write_station_deduction(d.deduction, s, i, cfg_);
            sum.add_station(s.node, d.deduction.current);
            continue;
        }
        // At 0 A until allocated; finish() replaces the amount for the
        // admitted. Outside strict mode that counts nothing.
        const PhaseSet phases = s.counted_phases(cfg_.mode);
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
        const bool starting = !(s.control == Control::Managed && s.limit_in_force >= amps(start));
        if (starting) span_start_margin_[span] += cfg_.start_margin;
        if (start != least_start) uniform_start_ = false;
        candidates_.emplace_back(i, s, span, phases, base, amps(start), amps(cap), cap, cap < full,
                                 backend_bound && cap == full, starting);
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
        const Amps room_needed = extra + (c.starting ? cfg_.start_margin : Amps{});
        bool fits = true;
        for (Index con : constraints_of(c))
            if (used_[con] + room_needed > cap_[con]) { fits = false; break; }
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
    std::vector<Amps> need(cap_.size()), margin(cap_.size());
    for (Index sp = 0; sp < spans_.size(); ++sp)
        for (Index con : span_constraints(sp)) need[con] += span_need_[sp], margin[con] += span_start_margin_[sp];
    for (std::size_t con = 0; con < cap_.size(); ++con)
        if (used_[con] + need[con] + margin[con] > cap_[con]) return false;
    for (std::size_t con = 0; con < cap_.size(); ++con) used_[con] += need[con];
    // Every candidate was built admitted, at its start.
    admitted_ = std::move(order);
    return true;
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
        if (c.calm) {
            d.reason = LimitReason::Calm;
        } else if (c.level >= c.cap) {
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
    out.non_ev_most = std::move(non_ev_most_);
    out.loads = std::move(loads_);
    for (const auto& l : allocated.take()) out.allocated.push_back(l.stations);
    return out;
}

Allocation Allocator::run() {
    NodeLoadSum sum(tree_);
    classify(sum);
    devices_ = meter_deductions(tree_, site_, std::move(draw_), &non_ev_most_);
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
    calm();
    return finish();
}

// SPEC 3, calm limits: a charging station whose new share differs from its
// limit by less than calm_step keeps its limit. A smaller raise is dropped
// (giving less is always safe); a smaller lowering is dropped only where
// every fuse on its path has the room for it, after the dropped raises.
// Where there is no room, the station comes down by the calm step instead,
// which makes room for the small lowerings after it, and then takes back
// what they did not need: when the non-EV load rises by a little, one
// station takes it in one write rather than every station in a small one
// each (bench_efficiency, `total` meter: a third of all writes were
// lowerings under 1 A). The room is taken in station order, so the same
// site always calms the same way. A station paused, starting or above its
// cap is never held.
void Allocator::calm() {
    const Amps calm_step = cfg_.calm_step;
    if (calm_step <= Amps{}) return;
    auto in_force = [&](const Candidate& c) { return site_.stations[c.station].limit_in_force; };
    auto steady = [&](const Candidate& c) { return c.admitted && !c.starting && in_force(c) <= c.cap; };
    auto keep_limit = [&](Candidate& c) {
        add(c, in_force(c) - c.level);
        c.level = in_force(c);
        c.calm = true;
    };
    for (Candidate& c : candidates_) {
        const Amps now = in_force(c);
        if (steady(c) && c.level > now && c.level - now < calm_step) keep_limit(c);
    }
    std::vector<std::pair<Candidate*, Amps>> deeper;  // and the share each came down from
    for (Candidate& c : candidates_) {
        const Amps now = in_force(c);
        if (!steady(c) || c.level >= now || now - c.level >= calm_step) continue;
        if (headroom(tightest(c)) >= now - c.level) {
            keep_limit(c);
        } else if (now - calm_step >= cfg_.min_current) {
            deeper.emplace_back(&c, c.level);
            add(c, now - calm_step - c.level);
            c.level = now - calm_step;
        }
    }
    for (auto [c, share] : deeper) {
        const Amps back = min(share - c->level, headroom(tightest(*c))).floor_to(cfg_.step);
        if (back <= Amps{}) continue;
        add(*c, back);
        c->level += back;
    }
}

}  // namespace detail

Allocation allocate(const FuseTree& tree, const SiteState& site) { return detail::Allocator(tree, site).run(); }

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
    case LimitReason::Calm: return s.id + " keeps its limit (its share moved by less than the calm step) -> " + limit;
    case LimitReason::BackendLimit:
        return s.id + " backend limit " + format(s.backend_limit.value_or(Amps{})) + " -> " +
               (d.target ? limit : std::string("0 A"));
    }
    return s.id;
}

}  // namespace fuseguard::policy
