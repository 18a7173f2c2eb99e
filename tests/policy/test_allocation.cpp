// Allocation by example. The property test covers the same rules at random.
#include <doctest/doctest.h>

#include "policy/allocation.hpp"
#include "policy/transition.hpp"
#include "site_builder.hpp"

using namespace fuseguard::policy;
using namespace fuseguard::policy::test;

namespace {
Amps target(const Allocation& a, const SiteState& s, std::string_view id) {
    const auto& d = decision(a, s, id);
    REQUIRE(d.target.has_value());
    return *d.target;
}
}  // namespace

TEST_SUITE("Allocation") {
    TEST_CASE("a freshly started site sends nothing and counts every fallback") {
        FuseTree tree("site", A(100));
        SiteState site;
        site.stations = {station("CP1", 32, 6), station("CP2", 16)};
        MeterInput m;
        m.id = "grid";
        m.fallback = A(50);
        site.meters.push_back(m);
        auto a = allocate(tree, site);
        CHECK_FALSE(a.stations[0].target);
        CHECK(a.stations[0].reason == LimitReason::Offline);
        CHECK(a.loads[0].total() == PhaseCurrents::uniform(A(72)));
        CHECK(check_safety(tree, site.settings, a.loads).empty());
    }

    TEST_CASE("equal priorities share equally") {
        FuseTree tree("site", A(63));
        SiteState site;
        site.settings.safety_margin = A(3);
        site.stations = {charging(station("CP1", 32)), charging(station("CP2", 32))};
        auto a = allocate(tree, site);
        CHECK(target(a, site, "CP1") == A(30));
        CHECK(target(a, site, "CP2") == A(30));
        CHECK(decision(a, site, "CP1").reason == LimitReason::FairShare);
        CHECK(describe(decision(a, site, "CP1"), site.stations[0], tree) == "CP1 fair share of site L1 -> 30 A");
    }

    TEST_CASE("a backend limit is an upper bound for its station, never a way past the fuse") {
        FuseTree tree("site", A(40));
        SiteState site;
        site.stations = {charging(station("CP1", 32)), charging(station("CP2", 32))};
        site.stations[0].backend_limit = A(11);
        auto a = allocate(tree, site);
        CHECK(target(a, site, "CP1") == A(11));
        CHECK(target(a, site, "CP2") == A(29));  // what CP1 may not use
        CHECK(decision(a, site, "CP1").reason == LimitReason::BackendLimit);
        CHECK(describe(decision(a, site, "CP1"), site.stations[0], tree) == "CP1 backend limit 11 A -> 11 A");

        site.stations[0].backend_limit = A(40);  // above its share: the fuse decides
        a = allocate(tree, site);
        CHECK(target(a, site, "CP1") == A(20));
        CHECK(decision(a, site, "CP1").reason == LimitReason::FairShare);

        site.stations[0].backend_limit = A(4);  // below the minimum: paused
        a = allocate(tree, site);
        CHECK(target(a, site, "CP1") == A(0));
        CHECK(decision(a, site, "CP1").reason == LimitReason::BackendLimit);
        CHECK(describe(decision(a, site, "CP1"), site.stations[0], tree) == "CP1 backend limit 4 A -> 0 A");
        CHECK(target(a, site, "CP2") == A(32));
        CHECK(check_safety(tree, site.settings, a.loads).empty());
    }

    TEST_CASE("shares are equal to 0.1 A and nothing useful is left over") {
        FuseTree tree("site", A(40));
        SiteState site;
        site.stations = {charging(station("CP1", 32, 6, 1, "L1")), charging(station("CP2", 32, 6, 1, "L1")),
                         charging(station("CP3", 32, 6, 1, "L1")), charging(station("CP4", 32, 6, 1, "L2"))};
        auto a = allocate(tree, site);
        Amps sum = target(a, site, "CP1") + target(a, site, "CP2") + target(a, site, "CP3");
        CHECK(sum == A(40));
        for (auto id : {"CP1", "CP2", "CP3"}) {
            CHECK(target(a, site, id) >= A(13.3));
            CHECK(target(a, site, id) <= A(13.4));
        }
        CHECK(target(a, site, "CP4") == A(32));  // alone on L2
        CHECK(decision(a, site, "CP4").reason == LimitReason::AtMaximum);
    }

    TEST_CASE("higher priority is served first / lower keeps its minimum") {
        FuseTree tree("site", A(40));
        SiteState site;
        auto vip = charging(station("VIP", 32));
        vip.priority = 10;
        site.stations = {charging(station("CP1", 32)), vip};
        auto a = allocate(tree, site);
        CHECK(target(a, site, "VIP") == A(32));
        CHECK(target(a, site, "CP1") == A(8));
    }

    TEST_CASE("when the minimum does not fit for all / the lowest priority pauses first") {
        FuseTree tree("site", A(11));
        SiteState site;
        auto high = charging(station("HIGH", 32));
        high.priority = 5;
        site.stations = {charging(station("LOW", 32)), high};
        auto a = allocate(tree, site);
        CHECK(target(a, site, "HIGH") == A(11));
        CHECK(target(a, site, "LOW") == A(0));
        CHECK(decision(a, site, "LOW").reason == LimitReason::Paused);
        CHECK(describe(decision(a, site, "LOW"), site.stations[0], tree) ==
              "LOW paused: the minimum does not fit on site L1 -> 0 A");
    }

    TEST_CASE("paused stations take turns as the controller advances `turn`") {
        FuseTree tree("site", A(13));
        SiteState site;
        site.stations = {charging(station("CP1", 32)), charging(station("CP2", 32)), charging(station("CP3", 32))};
        auto a = allocate(tree, site);
        CHECK(target(a, site, "CP1") > A(0));
        CHECK(target(a, site, "CP2") > A(0));
        CHECK(target(a, site, "CP3") == A(0));
        site.stations[0].turn = 1;  // CP1 has had its turn
        a = allocate(tree, site);
        CHECK(target(a, site, "CP1") == A(0));
        CHECK(target(a, site, "CP3") > A(0));
    }

    TEST_CASE("a sub-board's fuse caps the stations below it - the rest goes elsewhere") {
        FuseTree tree("site", A(100));
        auto board = tree.add_circuit(FuseTree::root(), "board-a", A(20));
        SiteState site;
        auto a1 = charging(station("A1", 32));
        a1.node = board;
        auto a2 = charging(station("A2", 32));
        a2.node = board;
        site.stations = {a1, a2, charging(station("S1", 32))};
        auto a = allocate(tree, site);
        CHECK(target(a, site, "A1") == A(10));
        CHECK(target(a, site, "A2") == A(10));
        CHECK(target(a, site, "S1") == A(32));
        CHECK(decision(a, site, "A1").bound_by->node == board);
        CHECK(a.allocated[board.value] == PhaseCurrents::uniform(A(20)));
        CHECK(a.allocated[0] == PhaseCurrents::uniform(A(52)));
    }

    TEST_CASE("a station drawing less gives the rest away and can reclaim it") {
        FuseTree tree("site", A(40));
        SiteState site;
        auto slow = charging(station("SLOW", 32), 20);
        slow.measured = std::array<Amps, 3>{A(5), A(5), A(5)};
        site.stations = {slow, charging(station("FAST", 32), 20)};
        auto a = allocate(tree, site);
        CHECK(target(a, site, "SLOW") == A(7));  // draw + 2 A margin
        CHECK(decision(a, site, "SLOW").reason == LimitReason::FollowsDraw);
        CHECK(target(a, site, "FAST") == A(32));
        // The car now draws close to its limit: it gets its fair share back.
        site.stations[0].limit_in_force = A(7);
        site.stations[0].measured = std::array<Amps, 3>{A(6.8), A(6.8), A(6.8)};
        site.stations[1].limit_in_force = A(32);
        a = allocate(tree, site);
        CHECK(target(a, site, "SLOW") == A(20));
        CHECK(target(a, site, "FAST") == A(20));
    }

    TEST_CASE("a reclaimed share is kept until a draw measured under it says it is not used") {
        FuseTree tree("site", A(40));
        SiteState site;
        // SLOW was capped at 7 A, drew 6.8 A and got its fair share back: 20 A.
        auto slow = charging(station("SLOW", 32), 20);
        slow.measured = std::array<Amps, 3>{A(6.8), A(6.8), A(6.8)};
        slow.draw_predates_limit = true;  // the 6.8 A were drawn under the old 7 A
        site.stations = {slow, charging(station("FAST", 32), 20)};
        auto a = allocate(tree, site);
        CHECK(target(a, site, "SLOW") == A(20));
        CHECK(decision(a, site, "SLOW").reason != LimitReason::FollowsDraw);
        CHECK(plan_transition(site, a).empty());
        // A draw measured under the 20 A: the car takes 8 A, so the rest goes back.
        site.stations[0].measured = std::array<Amps, 3>{A(8), A(8), A(8)};
        site.stations[0].draw_predates_limit = false;
        a = allocate(tree, site);
        CHECK(target(a, site, "SLOW") == A(10));
        CHECK(decision(a, site, "SLOW").reason == LimitReason::FollowsDraw);
        CHECK(target(a, site, "FAST") == A(30));
    }

    TEST_CASE("a station resting at its draw plus the margin keeps that limit - no flip-flop") {
        FuseTree tree("site", A(40));
        SiteState site;
        auto slow = charging(station("SLOW", 32), 7);  // its limit already is draw + margin
        slow.measured = std::array<Amps, 3>{A(5), A(5), A(5)};
        site.stations = {slow, charging(station("FAST", 32), 32)};
        for (int round = 0; round < 3; ++round) {
            auto a = allocate(tree, site);
            CHECK(target(a, site, "SLOW") == A(7));
            CHECK(plan_transition(site, a).empty());
        }
    }

    TEST_CASE("a 1-phase car on a 3-phase station frees the station's other phases") {
        FuseTree tree("site", A(32));
        SiteState site;
        // ONE's car draws on its terminal L1, which is site L2; SINGLE is a
        // 1-phase station on L3; THREE's car draws on all three.
        auto one = charging(station("ONE", 32, std::nullopt, 3, "L2L3L1"), 10);
        one.vehicle_terminals.insert(Phase::L1);
        site.stations = {one, charging(station("SINGLE", 32, std::nullopt, 1, "L3"), 10),
                         charging(station("THREE", 32), 10)};
        auto a = allocate(tree, site);
        // L2 holds ONE and THREE, L3 holds SINGLE and THREE: 16 A each.
        CHECK(target(a, site, "ONE") == A(16));
        CHECK(target(a, site, "SINGLE") == A(16));
        CHECK(target(a, site, "THREE") == A(16));
        const auto& counted = decision(a, site, "ONE").deduction.current;
        CHECK(counted[Phase::L1] == Amps{});
        CHECK(counted[Phase::L2] == A(16));
        CHECK(counted[Phase::L3] == Amps{});
        // Not known (or strict mode): ONE counts on all three, and L3 is
        // shared three ways.
        site.stations[0].vehicle_terminals = {};
        a = allocate(tree, site);
        CHECK(target(a, site, "ONE") < A(11));
        site.stations[0].vehicle_terminals.insert(Phase::L1);
        site.settings.mode = PolicyMode::Strict;
        a = allocate(tree, site);
        CHECK(decision(a, site, "ONE").deduction.current[Phase::L1] > Amps{});
    }

    TEST_CASE("calm limits: a change under the calm step is kept back unless the fuse needs it") {
        FuseTree tree("site", A(40));
        SiteState site;
        site.settings.calm_step = A(1);
        site.stations = {charging(station("A", 32), 20.5), charging(station("B", 32), 19.5)};
        // Shares are 20 A each: B's raise of 0.5 A is not sent, which leaves
        // the room for A to keep its 20.5 A.
        auto a = allocate(tree, site);
        CHECK(target(a, site, "A") == A(20.5));
        CHECK(target(a, site, "B") == A(19.5));
        CHECK(decision(a, site, "A").reason == LimitReason::Calm);
        CHECK(plan_transition(site, a).empty());
        // 0.4 A of non-EV load: the fuse needs a lowering of 0.4 A. One
        // station takes it (the first, coming down by the calm step and
        // taking back what B did not need), and B keeps its limit: one
        // write, not one per station.
        site.stations[0].limit_in_force = A(20);
        site.stations[1].limit_in_force = A(20);
        MeterInput m;
        m.id = "grid";
        m.measures = MeterMeasures::NonEv;
        m.state = DeviceState::Online;
        m.current = PhaseCurrents::uniform(A(0.4));
        site.meters = {m};
        a = allocate(tree, site);
        CHECK(target(a, site, "A") == A(19.6));
        CHECK(target(a, site, "B") == A(20));
        CHECK(a.plan.lower.size() == 1);
        // A change of a whole step goes out.
        site.meters[0].current = PhaseCurrents::uniform(A(2));
        site.stations[0].limit_in_force = A(19);
        site.stations[1].limit_in_force = A(17);
        a = allocate(tree, site);
        CHECK(target(a, site, "A") == A(19));
        CHECK(target(a, site, "B") == A(19));
    }

    TEST_CASE("a station not charging starts only where its minimum and the start margin fit - once charging, its minimum keeps it") {
        // Without the margin, a minimum that fits by a meter's noise starts
        // the car at one reading and pauses it at the next.
        FuseTree tree("site", A(20));
        SiteState site;
        site.settings.start_margin = A(1);
        site.stations = {charging(station("A", 32), 12), charging(station("B", 32), 0)};
        MeterInput m;
        m.id = "grid";
        m.measures = MeterMeasures::NonEv;
        m.state = DeviceState::Online;
        m.current = PhaseCurrents::uniform(A(7.5));
        site.meters = {m};
        // 12.5 A left, A's minimum takes 6: B's 6 A fits, 7 A does not.
        auto a = allocate(tree, site);
        CHECK(target(a, site, "B") == A(0));
        CHECK(decision(a, site, "B").reason == LimitReason::Paused);
        CHECK(target(a, site, "A") == A(12.5));
        // 1 A less of other load: B's minimum and the margin fit, and the
        // margin is not kept back once it has started.
        site.meters[0].current = PhaseCurrents::uniform(A(6.5));
        a = allocate(tree, site);
        CHECK(target(a, site, "B") >= A(6.7));
        CHECK(target(a, site, "A") + target(a, site, "B") == A(13.5));
        // Charging at its minimum, B keeps going when the load comes back.
        site.stations[0].limit_in_force = A(6.7);
        site.stations[1].limit_in_force = A(6.7);
        site.meters[0].current = PhaseCurrents::uniform(A(7.5));
        a = allocate(tree, site);
        CHECK(target(a, site, "B") >= A(6.2));
        CHECK(target(a, site, "A") + target(a, site, "B") == A(12.5));
        // Without a margin, B would start at 7.5 A of other load.
        site.settings.start_margin = Amps{};
        site.stations[1].limit_in_force = A(0);
        a = allocate(tree, site);
        CHECK(target(a, site, "B") >= A(6.2));
    }

    TEST_CASE("idle stations get 0 A / and so do stations too small to charge") {
        FuseTree tree("site", A(100));
        SiteState site;
        auto idle = charging(station("IDLE", 32), 16);
        idle.wants_current = false;
        site.stations = {idle, charging(station("TINY", 5))};
        auto a = allocate(tree, site);
        CHECK(target(a, site, "IDLE") == A(0));
        CHECK(decision(a, site, "IDLE").reason == LimitReason::Idle);
        CHECK(target(a, site, "TINY") == A(0));
        CHECK(decision(a, site, "TINY").reason == LimitReason::NoCapacity);
    }

    TEST_CASE("unconfirmed stations get a target - rejected ones are counted at capacity") {
        FuseTree tree("site", A(60));
        SiteState site;
        auto fresh = charging(station("FRESH", 32));
        fresh.control = Control::Unmanaged;
        auto stubborn = charging(station("STUBBORN", 32));
        stubborn.control = Control::Rejected;
        site.stations = {fresh, stubborn};
        auto a = allocate(tree, site);
        CHECK(target(a, site, "FRESH") == A(28));
        CHECK_FALSE(decision(a, site, "STUBBORN").target);
        CHECK(decision(a, site, "STUBBORN").deduction.current == PhaseCurrents::uniform(A(32)));
        CHECK(check_safety(tree, site.settings, a.loads).empty());
    }

    TEST_CASE("offline stations and meters shrink what the others get") {
        FuseTree tree("site", A(100));
        SiteState site;
        auto gone = station("GONE", 32);  // no fallback: 32 A
        gone.state = DeviceState::Offline;
        MeterInput m;
        m.id = "grid";
        m.fallback = A(50);
        site.meters.push_back(m);
        site.stations = {gone, charging(station("CP1", 32))};
        auto a = allocate(tree, site);
        CHECK(target(a, site, "CP1") == A(18));
    }

    TEST_CASE("strict mode gives a station its fallback for free") {
        FuseTree tree("site", A(20));
        SiteState site;
        site.settings.mode = PolicyMode::Strict;
        site.stations = {charging(station("CP1", 32, 8)), charging(station("CP2", 32, 8))};
        auto a = allocate(tree, site);
        CHECK(target(a, site, "CP1") == A(10));
        CHECK(target(a, site, "CP2") == A(10));
        site.stations[1].wants_current = false;  // idle, yet its 8 A stay reserved
        a = allocate(tree, site);
        CHECK(target(a, site, "CP2") == A(0));
        CHECK(a.stations[1].deduction.current == PhaseCurrents::uniform(A(8)));
        CHECK(target(a, site, "CP1") == A(12));
    }

    TEST_CASE("an overloaded site pauses everyone rather than add to it") {
        FuseTree tree("site", A(50));
        SiteState site;
        MeterInput m;
        m.id = "grid";
        m.measures = MeterMeasures::NonEv;
        m.state = DeviceState::Online;
        m.current = PhaseCurrents::uniform(A(48));
        site.meters.push_back(m);
        site.stations = {charging(station("CP1", 32), 16)};
        auto a = allocate(tree, site);
        CHECK(target(a, site, "CP1") == A(0));
        CHECK(decision(a, site, "CP1").reason == LimitReason::Paused);
    }

    TEST_CASE("limits are whole tenths of an ampere") {
        FuseTree tree("site", A(20));
        SiteState site;
        site.stations = {charging(station("CP1", 32)), charging(station("CP2", 32)), charging(station("CP3", 32))};
        auto a = allocate(tree, site);
        Amps sum{};
        for (const auto& d : a.stations) {
            CHECK(d.target->milliamps() % 100 == 0);
            sum += *d.target;
        }
        CHECK(sum == A(20));
    }
}
