#include <doctest/doctest.h>

#include <cstdint>
#include <stdexcept>

#include "policy/amps.hpp"
#include "policy/connector_status.hpp"
#include "policy/fuse_tree.hpp"
#include "policy/phase.hpp"

using namespace fuseguard::policy;

TEST_SUITE("Amps") {
    TEST_CASE("rounding errs towards the fuse") {
        CHECK(Amps::round_up(6.0001).milliamps() == 6001);
        CHECK(Amps::round_down(6.0009).milliamps() == 6000);
        CHECK(Amps::round_up(0.1).milliamps() == 100);
        CHECK(Amps::milli(10'190).floor_to(Amps::milli(100)) == Amps::milli(10'100));
        CHECK(Amps::milli(-150).floor_to(Amps::milli(100)) == Amps::milli(-200));
        CHECK(Amps::milli(6'010).ceil_to(Amps::milli(100)) == Amps::milli(6'100));
    }
    TEST_CASE("divisions agree with C++ on both sides of 32 bits") {
        // The 32-bit shortcut is taken only when both operands fit; the
        // rest must come out as the 64-bit division would.
        const std::int64_t big = std::int64_t{1} << 32;
        for (std::int64_t a : {std::int64_t{0}, std::int64_t{99}, std::int64_t{100}, std::int64_t{4'294'967'295},
                               big, big + 7, std::int64_t{-1}, std::int64_t{-100}, std::int64_t{-101}, -big - 3,
                               INT64_MAX, INT64_MIN + 1}) {
            for (std::int64_t b : {std::int64_t{1}, std::int64_t{7}, std::int64_t{100}, big + 1}) {
                CAPTURE(a);
                CAPTURE(b);
                CHECK(quotient(a, b) == a / b);
                const std::int64_t floor = a / b - ((a % b != 0 && a < 0) ? 1 : 0);
                CHECK(floor_div(a, b) == floor);
            }
        }
    }
    TEST_CASE("formatting uses as few decimals as needed") {
        CHECK(format(Amps::whole(32)) == "32 A");
        CHECK(format(Amps::milli(6'500)) == "6.5 A");
        CHECK(format(PhaseCurrents::uniform(Amps::whole(6))) == "6 A on L1 L2 L3");
        PhaseCurrents c;
        c[Phase::L1] = Amps::whole(10);
        c[Phase::L2] = Amps::whole(12);
        CHECK(format(c) == "10/12/0 A on L1/L2/L3");
    }
}

TEST_SUITE("PhaseRotation") {
    TEST_CASE("three-phase rotations map station terminals onto site phases") {
        auto r = PhaseRotation::parse("L2L3L1", 3);
        REQUIRE(r);
        CHECK(r->site_phase(Phase::L1) == Phase::L2);
        CHECK(r->site_phase(Phase::L3) == Phase::L1);
        CHECK(r->used(3) == PhaseSet::all());
        CHECK(r->used(1) == PhaseSet::of(Phase::L2));
    }
    TEST_CASE("invalid rotations are refused") {
        CHECK_FALSE(PhaseRotation::parse("L1L1L2", 3));
        CHECK_FALSE(PhaseRotation::parse("L1L2", 3));
        CHECK_FALSE(PhaseRotation::parse("L4", 1));
        CHECK_FALSE(PhaseRotation::parse("L2", 3));
        CHECK(PhaseRotation::parse("L3", 1)->used(1) == PhaseSet::of(Phase::L3));
    }
}

TEST_SUITE("FuseTree") {
    TEST_CASE("subtrees are contiguous in preorder") {
        FuseTree t("site", Amps::whole(250));
        auto a = t.add_circuit(FuseTree::root(), "a", Amps::whole(125));
        auto b = t.add_circuit(FuseTree::root(), "b", Amps::whole(100));
        auto a1 = t.add_circuit(a, "a1", Amps::whole(63));
        CHECK(t.covers(a, a1));
        CHECK_FALSE(t.covers(b, a1));
        CHECK(t.covers(FuseTree::root(), b));
        CHECK(t.node(a1).path.size() == 3);
        CHECK(t.subtree_end(a) - t.preorder_index(a) == 2);
    }
    TEST_CASE("unknown parents and duplicate names are refused") {
        FuseTree t("site", Amps::whole(250));
        CHECK_THROWS_AS(t.add_circuit(NodeId{7}, "x", Amps::whole(10)), std::invalid_argument);
        t.add_circuit(FuseTree::root(), "x", Amps::whole(10));
        CHECK_THROWS_AS(t.add_circuit(FuseTree::root(), "x", Amps::whole(10)), std::invalid_argument);
    }
}

TEST_SUITE("ConnectorStatus") {
    TEST_CASE("vehicles present want current - idle and faulted do not") {
        for (auto s : {"Preparing", "Charging", "SuspendedEV", "SuspendedEVSE", "Occupied"})
            CHECK(wants_current(*parse_connector_status(s)));
        for (auto s : {"Available", "Finishing", "Reserved", "Unavailable", "Faulted"})
            CHECK_FALSE(wants_current(*parse_connector_status(s)));
        CHECK_FALSE(parse_connector_status("charging"));
    }
}
