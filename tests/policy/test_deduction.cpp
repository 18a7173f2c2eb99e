// One case per row of SPEC 1's table, and the examples of seed 000.
#include <doctest/doctest.h>

#include "policy/deduction.hpp"
#include "site_builder.hpp"

using namespace fuseguard::policy;
using namespace fuseguard::policy::test;

namespace {
PolicySettings standard() { return PolicySettings{}; }
PolicySettings strict() {
    PolicySettings s;
    s.mode = PolicyMode::Strict;
    return s;
}
}  // namespace

TEST_SUITE("FallbackDeduction") {
    TEST_CASE("online and managed: its current limit") {
        auto s = charging(station("CP1", 32, 6), 16);
        auto d = station_deduction(s, 0, standard());
        CHECK(d.rule == DeductionRule::StationLimit);
        CHECK(d.current == PhaseCurrents::uniform(A(16)));
    }

    TEST_CASE("online but not yet confirmed: its max_current_a") {
        auto s = charging(station("CP1", 32, 6), 16);
        s.control = Control::Unmanaged;
        auto d = station_deduction(s, 0, standard());
        CHECK(d.rule == DeductionRule::StationUnmanaged);
        CHECK(d.current == PhaseCurrents::uniform(A(32)));
    }

    TEST_CASE("online and rejected its limit: its max_current_a") {
        auto s = charging(station("CP1", 32, 6), 16);
        s.control = Control::Rejected;
        auto d = station_deduction(s, 0, standard());
        CHECK(d.rule == DeductionRule::StationRejected);
        CHECK(d.current == PhaseCurrents::uniform(A(32)));
        CHECK(describe(d, SiteState{{}, {s}, {}, {}}) == "charger:CP1 online, rejected its limit -> capacity 32 A on L1 L2 L3");
    }

    TEST_CASE("seed 000: offline with a 6 A fallback deducts 6 A per phase") {
        auto s = station("CP1", 32, 6);
        s.state = DeviceState::Offline;
        auto d = station_deduction(s, 0, standard());
        CHECK(d.rule == DeductionRule::StationFallback);
        CHECK(d.current == PhaseCurrents::uniform(A(6)));
        CHECK(describe(d, SiteState{{}, {s}, {}, {}}) == "charger:CP1 offline -> fallback 6 A on L1 L2 L3");
    }

    TEST_CASE("lost, its profiles not stepped down yet: its last limit, never less than its fallback") {
        auto s = charging(station("CP1", 32, 6), 20);
        s.state = DeviceState::Offline;
        s.control = Control::Unmanaged;
        s.limit_known = true;
        s.holds_last_limit = true;
        auto d = station_deduction(s, 0, standard());
        CHECK(d.rule == DeductionRule::StationLost);
        CHECK(d.current == PhaseCurrents::uniform(A(20)));
        CHECK(describe(d, SiteState{{}, {s}, {}, {}}) ==
              "charger:CP1 offline, lost -> its last limit 20 A on L1 L2 L3 until its profiles step it down");
        // Paused at 0 A: its step goes up to the fallback, which may come first.
        s.limit_in_force = A(0);
        CHECK(station_deduction(s, 0, standard()).current == PhaseCurrents::uniform(A(6)));
        // What it held is not known (a limit went unanswered): its capacity.
        s.limit_known = false;
        CHECK(station_deduction(s, 0, standard()).current == PhaseCurrents::uniform(A(32)));
        // Stepped down: its fallback.
        s.holds_last_limit = false;
        CHECK(station_deduction(s, 0, standard()).rule == DeductionRule::StationFallback);
        // Without a fallback nothing steps it down: its capacity throughout.
        auto bare = charging(station("CP2", 32), 20);
        bare.state = DeviceState::Offline;
        bare.holds_last_limit = true;
        CHECK(station_deduction(bare, 0, standard()).rule == DeductionRule::StationCapacity);
    }

    TEST_CASE("seed 000: offline without fallback deducts its 32 A capacity") {
        auto s = station("CP007", 32);
        s.state = DeviceState::Offline;
        auto d = station_deduction(s, 0, standard());
        CHECK(d.rule == DeductionRule::StationCapacity);
        CHECK(d.current == PhaseCurrents::uniform(A(32)));
        CHECK(describe(d, SiteState{{}, {s}, {}, {}}) ==
              "charger:CP007 offline, no fallback -> capacity 32 A on L1 L2 L3");
    }

    TEST_CASE("seed 000: capacity set to 0 A deducts nothing") {
        auto s = station("CP1", 0);
        s.state = DeviceState::Offline;
        CHECK(station_deduction(s, 0, standard()).current == PhaseCurrents{});
    }

    TEST_CASE("unknown is treated exactly like offline") {
        auto off = station("CP1", 32, 6);
        off.state = DeviceState::Offline;
        auto unk = station("CP1", 32, 6);
        unk.state = DeviceState::Unknown;
        CHECK(station_deduction(unk, 0, standard()).current == station_deduction(off, 0, standard()).current);
        CHECK(station_deduction(unk, 0, standard()).rule == DeductionRule::StationFallback);
    }

    TEST_CASE("a one-phase station deducts only on the site phase its rotation uses") {
        auto s = station("CP1", 32, 10, 1, "L2");
        s.state = DeviceState::Offline;
        auto d = station_deduction(s, 0, standard());
        CHECK(d.current[Phase::L1] == A(0));
        CHECK(d.current[Phase::L2] == A(10));
        CHECK(d.current[Phase::L3] == A(0));
        auto r = station("CP2", 32, 10, 1, "L3L1L2");
        r.state = DeviceState::Offline;
        CHECK(station_deduction(r, 0, standard()).current == PhaseCurrents::on(PhaseSet::of(Phase::L3), A(10)));
    }

    TEST_CASE("strict mode reserves max(limit / fallback or capacity) for online stations") {
        auto with_fallback = charging(station("CP1", 32, 6), 4);
        CHECK(station_deduction(with_fallback, 0, strict()).current == PhaseCurrents::uniform(A(6)));
        CHECK(station_deduction(with_fallback, 0, strict()).rule == DeductionRule::StationStrictReserve);
        auto above = charging(station("CP1", 32, 6), 20);
        CHECK(station_deduction(above, 0, strict()).current == PhaseCurrents::uniform(A(20)));
        auto no_fallback = charging(station("CP2", 16), 10);
        CHECK(station_deduction(no_fallback, 0, strict()).current == PhaseCurrents::uniform(A(16)));
        CHECK(station_deduction(no_fallback, 0, standard()).current == PhaseCurrents::uniform(A(10)));
    }

    TEST_CASE("seed 000: meter offline deducts its 50 A fallback as non-EV load") {
        FuseTree tree("site", A(250));
        SiteState site;
        MeterInput m;
        m.id = "grid";
        m.fallback = A(50);
        m.state = DeviceState::Offline;
        m.current = PhaseCurrents::uniform(A(10));  // stale: must not be used
        site.meters.push_back(m);
        auto ds = meter_deductions(tree, site);
        REQUIRE(ds.size() == 1);
        CHECK(ds[0].rule == DeductionRule::MeterFallback);
        CHECK(ds[0].current == PhaseCurrents::uniform(A(50)));
        CHECK(describe(ds[0], site) == "meter:grid offline -> fallback 50 A on L1 L2 L3");
        site.meters[0].state = DeviceState::Unknown;
        CHECK(meter_deductions(tree, site)[0].current == PhaseCurrents::uniform(A(50)));
    }

    TEST_CASE("meter online measuring non-EV load only: its reading") {
        FuseTree tree("site", A(250));
        SiteState site;
        MeterInput m;
        m.id = "house";
        m.measures = MeterMeasures::NonEv;
        m.state = DeviceState::Online;
        m.current[Phase::L1] = A(12);
        m.current[Phase::L2] = A(30);
        site.meters.push_back(m);
        auto s = charging(station("CP1", 32), 16);
        s.measured = std::array<Amps, 3>{A(16), A(16), A(16)};
        site.stations.push_back(s);  // must not be subtracted from a non_ev meter
        auto d = meter_deductions(tree, site)[0];
        CHECK(d.rule == DeductionRule::MeterMeasured);
        CHECK(d.current[Phase::L1] == A(12));
        CHECK(d.current[Phase::L2] == A(30));
        CHECK(d.current[Phase::L3] == A(0));
    }

    TEST_CASE("meter online measuring the total: minus what the stations below it report") {
        FuseTree tree("site", A(250));
        auto board = tree.add_circuit(FuseTree::root(), "board-a", A(100));
        SiteState site;
        MeterInput m;
        m.id = "grid";
        m.state = DeviceState::Online;
        m.current = PhaseCurrents::uniform(A(60));
        site.meters.push_back(m);
        auto a = charging(station("CP1", 32), 16);
        a.node = board;
        a.measured = std::array<Amps, 3>{A(15), A(14), A(13)};
        auto b = charging(station("CP2", 32, std::nullopt, 1, "L2"), 10);  // one phase on site L2
        b.measured = std::array<Amps, 3>{A(9), A(0), A(0)};
        auto quiet = charging(station("CP3", 32), 16);  // reports nothing: counts 0
        site.stations = {a, b, quiet};
        auto d = meter_deductions(tree, site)[0];
        CHECK(d.current[Phase::L1] == A(45));
        CHECK(d.current[Phase::L2] == A(37));
        CHECK(d.current[Phase::L3] == A(47));
    }

    // Issue 16: the estimate carried from before stays where the reading
    // and what the stations may draw allow it, and moves to the nearer
    // bound where they do not.
    TEST_CASE("a total meter keeps its non-EV estimate between what the stations report and the most they may draw") {
        FuseTree tree("site", A(250));
        auto board = tree.add_circuit(FuseTree::root(), "board-a", A(100));
        SiteState site;
        MeterInput m;
        m.id = "grid";
        m.state = DeviceState::Online;
        m.current = PhaseCurrents::uniform(A(60));
        site.meters.push_back(m);
        // On the board: lowered to 14 A, its car may still draw the 17 A it
        // reported; taken off at 14 A (`measured`).
        auto a = charging(station("CP1", 32), 14);
        a.node = board;
        a.measured = std::array<Amps, 3>{A(14), A(14), A(14)};
        a.measured_most = {A(17), A(17), A(17)};
        auto quiet = charging(station("CP2", 32), 16);  // reports nothing: 0 either way
        site.stations = {a, quiet};
        // Without an estimate from before: the most the non-EV load may be.
        CHECK(meter_deductions(tree, site)[0].current == PhaseCurrents::uniform(A(46)));
        std::vector<PhaseCurrents> most;
        meter_deductions(tree, site, StationDraw{{PhaseCurrents{}, PhaseCurrents::uniform(A(14))},
                                                 {PhaseCurrents{}, PhaseCurrents::uniform(A(17))}},
                         &most);
        CHECK(most[0] == PhaseCurrents::uniform(A(46)));
        // Within 43-46 A it stays; below, it rises to 43; above, it falls to 46.
        PhaseCurrents before;
        before[Phase::L1] = A(44);
        before[Phase::L2] = A(40);
        before[Phase::L3] = A(50);
        site.meters[0].non_ev_before = before;
        const auto d = meter_deductions(tree, site)[0];
        CHECK(d.current[Phase::L1] == A(44));
        CHECK(d.current[Phase::L2] == A(43));
        CHECK(d.current[Phase::L3] == A(46));
        // Calm: it comes down by the calm step or more, or not at all (and
        // still rises to the least at once).
        site.settings.calm_step = A(1);
        before[Phase::L1] = Amps::milli(46'600);
        before[Phase::L3] = A(47);
        site.meters[0].non_ev_before = before;
        const auto calm = meter_deductions(tree, site)[0];
        CHECK(calm.current[Phase::L1] == Amps::milli(46'600));
        CHECK(calm.current[Phase::L2] == A(43));
        CHECK(calm.current[Phase::L3] == A(46));
        site.settings.calm_step = Amps{};
        site.meters[0].non_ev_before = std::nullopt;
        // Most never below what is reported: a report above the most counts as both.
        site.stations[0].measured_most = {A(0), A(0), A(0)};
        CHECK(meter_deductions(tree, site)[0].current == PhaseCurrents::uniform(A(46)));
        // Offline, its fallback; the estimate plays no part.
        site.meters[0].state = DeviceState::Offline;
        site.meters[0].fallback = A(50);
        CHECK(meter_deductions(tree, site)[0].current == PhaseCurrents::uniform(A(50)));
    }

    TEST_CASE("a station's report is not subtracted beyond its capacity") {
        FuseTree tree("site", A(250));
        SiteState site;
        MeterInput m;
        m.id = "grid";
        m.state = DeviceState::Online;
        m.current = PhaseCurrents::uniform(A(60));
        site.meters.push_back(m);
        auto s = charging(station("CP1", 16), 10);
        s.measured = std::array<Amps, 3>{A(25), A(25), A(25)};
        site.stations.push_back(s);
        CHECK(meter_deductions(tree, site)[0].current == PhaseCurrents::uniform(A(44)));
    }

    TEST_CASE("an offline station's last report is not subtracted from a total meter") {
        FuseTree tree("site", A(250));
        SiteState site;
        MeterInput m;
        m.state = DeviceState::Online;
        m.current = PhaseCurrents::uniform(A(40));
        site.meters.push_back(m);
        auto s = station("CP1", 32, 6);
        s.state = DeviceState::Offline;
        s.measured = std::array<Amps, 3>{A(20), A(20), A(20)};
        site.stations.push_back(s);
        CHECK(meter_deductions(tree, site)[0].current == PhaseCurrents::uniform(A(40)));
    }

    TEST_CASE("seed 000: EMS offline deducts its 100 A fallback - online / what it reserves") {
        SiteState site;
        EmsInput e;
        e.id = "ems";
        e.fallback = A(100);
        e.state = DeviceState::Offline;
        site.ems.push_back(e);
        auto d = ems_deductions(site)[0];
        CHECK(d.rule == DeductionRule::EmsFallback);
        CHECK(d.current == PhaseCurrents::uniform(A(100)));
        CHECK(describe(d, site) == "ems:ems offline -> fallback 100 A on L1 L2 L3");
        site.ems[0].state = DeviceState::Online;
        site.ems[0].reserved[Phase::L3] = A(25);
        d = ems_deductions(site)[0];
        CHECK(d.rule == DeductionRule::EmsReserved);
        CHECK(d.current == PhaseCurrents::on(PhaseSet::of(Phase::L3), A(25)));
    }

    TEST_CASE("loads add up the tree - a node's meter never hides a board's larger reading") {
        FuseTree tree("site", A(250));
        auto a = tree.add_circuit(FuseTree::root(), "board-a", A(125));
        SiteState site;
        MeterInput grid;
        grid.id = "grid";
        grid.fallback = A(20);  // offline, smaller than what board-a measures
        MeterInput sub;
        sub.id = "sub";
        sub.node = a;
        sub.measures = MeterMeasures::NonEv;
        sub.state = DeviceState::Online;
        sub.current = PhaseCurrents::uniform(A(35));
        site.meters = {grid, sub};
        auto s = station("CP1", 32, 6);
        s.node = a;
        site.stations.push_back(s);
        auto loads = node_loads(tree, current_deductions(tree, site));
        CHECK(loads[a.value].non_ev == PhaseCurrents::uniform(A(35)));
        CHECK(loads[a.value].stations == PhaseCurrents::uniform(A(6)));
        CHECK(loads[0].non_ev == PhaseCurrents::uniform(A(35)));
        CHECK(loads[0].total() == PhaseCurrents::uniform(A(41)));
    }

    TEST_CASE("check_safety names the node and phase over its limit") {
        FuseTree tree("site", A(100));
        PolicySettings cfg;
        cfg.safety_margin = A(5);
        std::vector<NodeLoad> loads(1);
        loads[0].non_ev[Phase::L2] = A(96);
        auto v = check_safety(tree, cfg, loads);
        REQUIRE(v.size() == 1);
        CHECK(v[0].phase == Phase::L2);
        CHECK(v[0].capacity == A(95));
        loads[0].non_ev[Phase::L2] = A(95);
        CHECK(check_safety(tree, cfg, loads).empty());
    }
}
