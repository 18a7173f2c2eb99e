// The allocation rules, asserted on 100,000 random sites with fixed seeds.
// A failure prints the seed and the site's shape; rerun one seed with
// FUSEGUARD_PROPERTY_SEED=<seed> to debug it.
#include <doctest/doctest.h>

#include <cstdlib>
#include <random>

#include "policy/transition.hpp"
#include "random_site.hpp"

using namespace fuseguard::policy;
using namespace fuseguard::policy::test;

namespace {

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
    const char* v = std::getenv(name);
    return v ? std::strtoull(v, nullptr, 10) : fallback;
}

class PropertyCheck {
public:
    PropertyCheck(const FuseTree& tree, const SiteState& site, const Allocation& a)
        : tree_(tree), site_(site), a_(a), cfg_(site.settings) {
        for (std::uint32_t n = 0; n < tree.size(); ++n) {
            for (Phase p : kAllPhases) {
                cap_.push_back(capacity(tree, NodeId{n}, cfg_));
                used_.push_back(a.loads[n].total()[p]);
            }
        }
        // The same site with every controllable station at 0 A.
        std::vector<Deduction> base = a.devices;
        for (std::uint32_t i = 0; i < site.stations.size(); ++i)
            base.push_back(a.stations[i].target ? managed_deduction(site.stations[i], i, Amps{}, cfg_)
                                                : a.stations[i].deduction);
        const auto base_loads = node_loads(tree, base);
        for (std::uint32_t n = 0; n < tree.size(); ++n)
            for (Phase p : kAllPhases) base_.push_back(base_loads[n].total()[p]);
    }

    std::vector<std::string> failures;

    void all(std::mt19937_64& rng) {
        safety();
        for (std::uint32_t i = 0; i < site_.stations.size(); ++i) station_bounds(i);
        // Calm limits give up equal shares and work conservation by up to
        // the calm step, on purpose: only safety and bounds hold then.
        if (calm()) return;
        const auto n = site_.stations.size();
        for (int k = 0; k < 200 && n > 1; ++k) pair(static_cast<std::uint32_t>(rng() % n), static_cast<std::uint32_t>(rng() % n));
        for (int k = 0; k < 40 && n > 0; ++k) {
            const auto i = static_cast<std::uint32_t>(rng() % n);
            if (a_.stations[i].reason == LimitReason::FairShare) bottleneck(i);
        }
    }

private:
    bool calm() const { return cfg_.calm_step > Amps{}; }
    std::size_t con(NodeId n, Phase p) const { return n.value * 3 + index(p); }
    bool on_path(std::uint32_t station, std::size_t c) const {
        const auto& s = site_.stations[station];
        return s.counted_phases(cfg_.mode).contains(static_cast<Phase>(c % 3)) && tree_.covers(NodeId{static_cast<std::uint32_t>(c / 3)}, s.node);
    }
    std::vector<std::size_t> path(std::uint32_t station) const {
        std::vector<std::size_t> out;
        const auto& s = site_.stations[station];
        for (NodeId n : tree_.node(s.node).path)
            for (Phase p : kAllPhases)
                if (s.phases().contains(p)) out.push_back(con(n, p));
        return out;
    }
    Amps start(const StationInput& s) const {
        Amps st = max(cfg_.min_current.ceil_to(cfg_.step), cfg_.step);
        if (cfg_.mode == PolicyMode::Strict) st = max(st, s.offline_draw().ceil_to(cfg_.step));
        return st;
    }
    Amps base(const StationInput& s) const { return cfg_.mode == PolicyMode::Strict ? s.offline_draw() : Amps{}; }
    // What it needs free to be admitted: its minimum, and the start margin
    // unless it charges at its minimum already.
    Amps admission(const StationInput& s) const {
        const bool charging = s.control == Control::Managed && s.limit_in_force >= start(s);
        return start(s) - base(s) + (charging ? Amps{} : cfg_.start_margin);
    }
    void fail(std::string m) { failures.push_back(std::move(m)); }

    // SPEC 1: nothing we allocate takes a node and phase over its limit. A
    // node already over it before any allocation gets nothing added.
    void safety() {
        for (std::size_t c = 0; c < cap_.size(); ++c)
            if (used_[c] > max(cap_[c], base_[c]))
                fail("node " + tree_.node(NodeId{static_cast<std::uint32_t>(c / 3)}).name + " L" +
                     std::to_string(c % 3 + 1) + " loaded " + format(used_[c]) + " over " + format(cap_[c]));
    }

    bool saturated_not_covering(std::uint32_t a, std::optional<std::uint32_t> b) const {
        for (std::size_t c : path(a))
            if (cap_[c] - used_[c] < cfg_.step && (!b || !on_path(*b, c))) return true;
        return false;
    }

    void station_bounds(std::uint32_t i) {
        const auto& s = site_.stations[i];
        const auto& d = a_.stations[i];
        const std::string who = s.id + " (" + std::string(name(d.reason)) + ") ";
        const bool controllable = is_online(s.state) && s.control != Control::Rejected;
        if (d.target.has_value() != controllable) return fail(who + "target presence wrong");
        if (!d.target) return;
        const Amps t = *d.target;
        // Counted on every phase its vehicle may draw on, and on no other.
        for (Phase p : kAllPhases) {
            const bool counted = d.deduction.current[p] > Amps{};
            if (t > Amps{} && counted != s.counted_phases(cfg_.mode).contains(p))
                fail(who + "counted on " + std::string(name(p)) + " wrongly (vehicle on " + format(s.counted_phases(cfg_.mode)) + ")");
        }
        if (t.milliamps() % cfg_.step.milliamps() != 0) fail(who + "limit not in 0.1 A steps: " + format(t));
        if (t != Amps{} && (t < start(s) || t > s.max_current)) fail(who + "limit out of bounds: " + format(t));
        const bool zero = d.reason == LimitReason::Idle || d.reason == LimitReason::NoCapacity ||
                          d.reason == LimitReason::Paused;
        if (zero != (t == Amps{})) fail(who + "limit " + format(t) + " does not match its reason");
        if (d.reason == LimitReason::Idle && s.wants_current) fail(who + "wants current but is idle");
        if (d.reason == LimitReason::AtMaximum && t != s.max_current.floor_to(cfg_.step)) fail(who + "not at max");
        if (d.reason == LimitReason::Calm && (!calm() || t != s.limit_in_force))
            fail(who + "calm at " + format(t) + " but its limit in force is " + format(s.limit_in_force));
        if (d.reason == LimitReason::FairShare && !calm() && !saturated_not_covering(i, std::nullopt))
            fail(who + "below its cap at " + format(t) + " while every fuse on its path has room");
        if (d.reason == LimitReason::Paused) {
            const Amps extra = admission(s);
            bool blocked = false;
            for (std::size_t c : path(i)) blocked = blocked || used_[c] + extra > cap_[c];
            if (!blocked) fail(who + "paused although its minimum (and start margin) fits");
        }
    }

    bool precedes(const StationInput& a, const StationInput& b) const {
        return a.priority != b.priority ? a.priority > b.priority : a.turn < b.turn;
    }

    void pair(std::uint32_t ia, std::uint32_t ib) {
        if (ia == ib) return;
        const auto& sa = site_.stations[ia];
        const auto& sb = site_.stations[ib];
        const auto& da = a_.stations[ia];
        const auto& db = a_.stations[ib];
        const bool b_charging = db.target && *db.target > Amps{};
        // Who waits must not wait for someone it precedes: even without b's
        // share, a's minimum would not fit.
        if (da.reason == LimitReason::Paused && b_charging && precedes(sa, sb)) {
            const auto b_full = managed_deduction(sb, ib, *db.target, cfg_).current;
            const auto b_zero = managed_deduction(sb, ib, Amps{}, cfg_).current;
            bool blocked = false;
            for (std::size_t c : path(ia)) {
                const Phase p = static_cast<Phase>(c % 3);
                const Amps relief = on_path(ib, c) ? b_full[p] - b_zero[p] : Amps{};
                blocked = blocked || used_[c] - relief + admission(sa) > cap_[c];
            }
            if (!blocked) fail(sa.id + " paused while " + sb.id + ", which it precedes, charges");
        }
    }

    // Max-min fairness with priorities: a station held below its cap has a
    // bottleneck, a full node and phase on its path, on which nobody of its
    // priority is more than a step above it and nobody of lower priority has
    // more than the crumbs the 0.1 A rounding leaves.
    void bottleneck(std::uint32_t ia) {
        const auto& sa = site_.stations[ia];
        const Amps la = *a_.stations[ia].target;
        for (std::size_t c : path(ia)) {
            std::int64_t users = 0;
            for (std::uint32_t ib = 0; ib < site_.stations.size(); ++ib)
                if (a_.stations[ib].target && *a_.stations[ib].target > Amps{} && on_path(ib, c)) ++users;
            if (cap_[c] - used_[c] >= cfg_.step * users) continue;  // not full
            bool fair = true;
            for (std::uint32_t ib = 0; ib < site_.stations.size() && fair; ++ib) {
                const auto& sb = site_.stations[ib];
                const auto& db = a_.stations[ib];
                if (ib == ia || !db.target || !on_path(ib, c) || sb.priority > sa.priority) continue;
                const Amps lb = *db.target;
                if (lb <= start(sb) + cfg_.step) continue;  // at its minimum
                if (sb.priority == sa.priority) fair = lb <= la + cfg_.step * 2;
                else fair = lb <= start(sb) + cfg_.step * users;
            }
            if (fair) return;
        }
        fail(sa.id + " at " + format(la) + " below its cap has no bottleneck where it is among the highest");
    }

    const FuseTree& tree_;
    const SiteState& site_;
    const Allocation& a_;
    const PolicySettings& cfg_;
    std::vector<Amps> cap_, used_, base_;
};

std::vector<Amps> totals(const FuseTree& tree, const SiteState& site) {
    std::vector<Amps> out;
    for (const auto& l : node_loads(tree, current_deductions(tree, site)))
        for (Phase p : kAllPhases) out.push_back(l.total()[p]);
    return out;
}

// Lowerings never raise what is counted; after them the site is no more
// loaded than the target; after the raises it is the target exactly. The
// site is the one `target` was allocated for.
void check_transition(const FuseTree& tree, SiteState site, const Allocation& target, std::mt19937_64& rng,
                      std::vector<std::string>& failures, int depth = 0) {
    const auto plan = plan_transition(site, target);
    // `target` was allocated for `site`: the plan allocate() worked out on
    // the way is the same one.
    if (!(target.plan == plan)) failures.push_back("the plan allocate() returned differs from plan_transition()");
    for (const auto& cmd : plan.lower) {
        const auto& s = site.stations[cmd.station];
        const auto before = station_deduction(s, cmd.station, site.settings).current;
        const auto after = managed_deduction(s, cmd.station, cmd.limit, site.settings).current;
        for (Phase p : kAllPhases)
            if (after[p] > before[p]) failures.push_back(s.id + ": a 'lowering' raises what is counted");
    }
    // A raise is one for what the station may hold, whatever is counted
    // for it; everything else is sent at once.
    for (const auto& cmd : plan.raise)
        if (cmd.limit <= site.stations[cmd.station].least_held())
            failures.push_back(site.stations[cmd.station].id + ": raise that is not one");
    for (const auto& cmd : plan.lower)
        if (cmd.limit > site.stations[cmd.station].least_held())
            failures.push_back(site.stations[cmd.station].id + ": sent at once, but may raise what it draws");

    const bool reject_some = depth == 0 && rng() % 4 == 0;
    bool rejected = false;
    for (const auto& cmd : plan.lower) {
        const bool accept = !(reject_some && rng() % 3 == 0);
        rejected |= !accept;
        apply_answer(site, cmd, accept ? LimitOutcome::Accepted : LimitOutcome::Refused);
    }
    if (rejected) {
        // The raises are dropped; plan again from what is in force now.
        const auto again = allocate(tree, site);
        PropertyCheck recheck(tree, site, again);
        recheck.all(rng);
        failures.insert(failures.end(), recheck.failures.begin(), recheck.failures.end());
        check_transition(tree, site, again, rng, failures, depth + 1);
        return;
    }
    const auto target_totals = [&] {
        std::vector<Amps> out;
        for (const auto& l : target.loads)
            for (Phase p : kAllPhases) out.push_back(l.total()[p]);
        return out;
    }();
    // An unconfirmed station's raise only lowers what is counted for it
    // (its capacity): taken with the lowerings, nothing may end above the target.
    for (const auto& cmd : plan.raise)
        if (site.stations[cmd.station].control != Control::Managed) apply_answer(site, cmd, LimitOutcome::Accepted);
    const auto after_lower = totals(tree, site);
    for (std::size_t c = 0; c < after_lower.size(); ++c)
        if (after_lower[c] > target_totals[c])
            failures.push_back("after the lowerings, constraint " + std::to_string(c) + " is above the target");
    for (const auto& cmd : plan.raise) apply_answer(site, cmd, LimitOutcome::Accepted);
    if (totals(tree, site) != target_totals) failures.push_back("after the raises, the site is not at the target");
}

}  // namespace

TEST_SUITE("AllocationProperties") {
    TEST_CASE("random sites: safety / bounds / priority / fairness / work conservation / safe transitions") {
        const std::uint64_t sites = env_or("FUSEGUARD_PROPERTY_SITES", 100'000);
        const std::uint64_t only = env_or("FUSEGUARD_PROPERTY_SEED", 0);
        int failed = 0;
        for (std::uint64_t seed = only ? only : 1; seed <= (only ? only : sites) && failed < 5; ++seed) {
            // Mostly small sites, one in sixteen up to 500 stations.
            RandomSiteShape shape;
            shape.max_stations = seed % 16 == 0 ? 500 : 30;
            const RandomSite rs = random_site(seed, shape);
            const Allocation a = allocate(rs.tree, rs.site);
            std::mt19937_64 rng(seed);
            PropertyCheck check(rs.tree, rs.site, a);
            check.all(rng);
            check_transition(rs.tree, rs.site, a, rng, check.failures);
            if (!check.failures.empty()) {
                ++failed;
                std::string msg = "seed " + std::to_string(seed) + ": " + rs.describe();
                for (std::size_t i = 0; i < check.failures.size() && i < 5; ++i) msg += "\n  " + check.failures[i];
                FAIL_CHECK(msg);
            }
        }
        CHECK(failed == 0);
    }
}
