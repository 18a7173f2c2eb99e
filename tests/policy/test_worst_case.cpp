#include <doctest/doctest.h>

#include "policy/worst_case.hpp"
#include "site_builder.hpp"

using namespace fuseguard::policy;
using namespace fuseguard::policy::test;

TEST_SUITE("WorstCase") {
    TEST_CASE("every fallback below a node is deducted / whatever the states") {
        FuseTree tree("site", A(100));
        auto board = tree.add_circuit(FuseTree::root(), "board", A(40));
        SiteState site;
        site.settings.safety_margin = A(2);
        MeterInput m;
        m.fallback = A(30);
        m.state = DeviceState::Online;
        site.meters.push_back(m);
        auto a = charging(station("A", 32, 6));
        a.node = board;
        auto b = station("B", 16, std::nullopt, 1, "L3");
        b.node = board;
        site.stations = {a, b};
        auto w = worst_case(tree, site);
        CHECK(w.remaining[0][Phase::L1] == A(100 - 2 - 30 - 6));
        CHECK(w.remaining[0][Phase::L3] == A(100 - 2 - 30 - 6 - 16));
        CHECK(w.remaining[board.value][Phase::L3] == A(40 - 2 - 6 - 16));
        CHECK(w.starved.empty());
    }

    TEST_CASE("warns where the fallbacks leave a station less than the minimum") {
        FuseTree tree("site", A(40));
        SiteState site;
        MeterInput m;
        m.fallback = A(30);
        site.meters.push_back(m);
        site.stations = {station("CP1", 32, 6), station("CP2", 32, 6)};
        auto w = worst_case(tree, site);
        // CP1 online: 40 - 30 - 6 (CP2) = 4 A < 6 A.
        REQUIRE(w.starved.size() == 2);
        CHECK(w.starved[0].remaining == A(4));
        CHECK(w.starved[0].node == FuseTree::root());
    }
}
