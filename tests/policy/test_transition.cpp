#include <doctest/doctest.h>

#include "policy/transition.hpp"
#include "site_builder.hpp"

using namespace fuseguard::policy;
using namespace fuseguard::policy::test;

namespace {
bool safe(const FuseTree& tree, const SiteState& site) {
    return check_safety(tree, site.settings, node_loads(tree, current_deductions(tree, site))).empty();
}
}  // namespace

TEST_SUITE("TransitionPlan") {
    TEST_CASE("a newcomer lowers the others before it is raised") {
        FuseTree tree("site", A(64));
        SiteState site;
        site.stations = {charging(station("CP1", 32), 32), charging(station("CP2", 32), 32),
                         charging(station("NEW", 32), 0)};
        site.stations[2].wants_current = false;
        REQUIRE(safe(tree, site));
        site.stations[2].wants_current = true;  // a car plugs in
        auto plan = plan_transition(site, allocate(tree, site));
        REQUIRE(plan.lower.size() == 2);
        REQUIRE(plan.raise.size() == 1);
        CHECK(plan.raise[0].station == 2);
        // Every state on the way is safe: lowerings one by one, then the raise.
        for (const auto& cmd : plan.lower) {
            apply_answer(site, cmd, LimitOutcome::Accepted);
            CHECK(safe(tree, site));
        }
        apply_answer(site, plan.raise[0], LimitOutcome::Accepted);
        CHECK(safe(tree, site));
        CHECK(site.stations[2].limit_in_force == A(21.3));
    }

    TEST_CASE("an unconfirmed station's limit waits with the raises unless it cannot raise what the station holds") {
        FuseTree tree("site", A(64));
        SiteState site;
        auto s = charging(station("CP1", 32));
        s.control = Control::Unmanaged;
        site.stations = {s};
        // Nothing known of what it applies (a fresh connection, a limit that
        // went unanswered): it may be holding less than 32 A.
        auto plan = plan_transition(site, allocate(tree, site));
        CHECK(plan.lower.empty());
        REQUIRE(plan.raise.size() == 1);
        CHECK(plan.raise[0].limit == A(32));
        // It accepted 32 A before it went offline and still holds it: the same
        // limit again cannot raise it, and is sent at once.
        site.stations[0].limit_known = true;
        site.stations[0].limit_in_force = A(32);
        plan = plan_transition(site, allocate(tree, site));
        REQUIRE(plan.lower.size() == 1);
        CHECK(plan.raise.empty());
        // It holds 20 A: 32 A would raise it.
        site.stations[0].limit_in_force = A(20);
        plan = plan_transition(site, allocate(tree, site));
        CHECK(plan.lower.empty());
        CHECK(plan.raise.size() == 1);
    }

    TEST_CASE("a refused raise or an unanswered limit leaves what the station holds unknown") {
        SiteState site;
        site.stations = {charging(station("CP1", 32), 10)};
        apply_answer(site, {0, A(8)}, LimitOutcome::Refused);  // a refused lowering: it keeps 10 A
        CHECK(site.stations[0].control == Control::Rejected);
        CHECK(site.stations[0].limit_known);
        CHECK(site.stations[0].least_held() == A(10));
        site.stations[0].limit_in_force = A(16);  // a raise, counted from when it was sent
        apply_answer(site, {0, A(16)}, LimitOutcome::Refused);
        CHECK_FALSE(site.stations[0].limit_known);
        apply_answer(site, {0, A(12)}, LimitOutcome::Accepted);
        CHECK(site.stations[0].least_held() == A(12));
        apply_answer(site, {0, A(6)}, LimitOutcome::Unanswered);
        CHECK_FALSE(site.stations[0].limit_known);
        CHECK(site.stations[0].least_held() == A(0));
    }

    TEST_CASE("a rejected lowering makes the station unmanaged and the re-plan lowers the others") {
        FuseTree tree("site", A(64));
        SiteState site;
        site.stations = {charging(station("CP1", 32), 32), charging(station("CP2", 32), 32),
                         charging(station("NEW", 32), 0)};
        auto plan = plan_transition(site, allocate(tree, site));
        REQUIRE(plan.lower.size() == 2);
        apply_answer(site, plan.lower[0], LimitOutcome::Refused);  // CP1 refuses
        CHECK(site.stations[plan.lower[0].station].control == Control::Rejected);
        // The old raise is dropped; plan again from what is now in force.
        auto again = plan_transition(site, allocate(tree, site));
        for (const auto& cmd : again.lower) apply_answer(site, cmd, LimitOutcome::Accepted);
        for (const auto& cmd : again.raise) apply_answer(site, cmd, LimitOutcome::Accepted);
        CHECK(safe(tree, site));
        // The refuser counts 32 A; the other two share the remaining 32 A.
        CHECK(site.stations[plan.lower[1].station].limit_in_force == A(16));
        CHECK(site.stations[2].limit_in_force == A(16));
    }

    TEST_CASE("nothing changes / nothing is sent") {
        FuseTree tree("site", A(100));
        SiteState site;
        site.stations = {charging(station("CP1", 32), 32)};
        CHECK(plan_transition(site, allocate(tree, site)).empty());
    }

    TEST_CASE("biggest cuts go first") {
        FuseTree tree("site", A(30));
        SiteState site;
        site.stations = {charging(station("SMALL", 32), 16), charging(station("BIG", 32), 30)};
        auto plan = plan_transition(site, allocate(tree, site));
        REQUIRE(plan.lower.size() == 2);
        CHECK(site.stations[plan.lower[0].station].id == "BIG");
    }
}
