// From the installer's file to the policy's view of the site.
#include <doctest/doctest.h>

#include "config/load.hpp"
#include "controller/site_model.hpp"
#include "policy/allocation.hpp"

using namespace fuseguard;

TEST_SUITE("SiteModel") {
    TEST_CASE("the example depot starts with every device unknown and every fallback deducted") {
        auto r = config::load_file(FUSEGUARD_SOURCE_DIR "/examples/site.yaml");
        REQUIRE(r.ok());
        auto m = controller::build_site_model(*r.config);
        CHECK(m.tree.size() == 3);
        CHECK(m.state.stations.size() == 12);
        for (const auto& s : m.state.stations) CHECK(s.state == policy::DeviceState::Unknown);
        auto a = policy::allocate(m.tree, m.state);
        for (const auto& d : a.stations) CHECK_FALSE(d.target);
        // 50 A meter + 40 A EMS + 6 x 6 A + 16 + 16, plus the 1-phase bays on L1.
        CHECK(a.loads[0].total()[policy::Phase::L1] == policy::Amps::whole(50 + 40 + 36 + 32 + 20));
        CHECK(policy::check_safety(m.tree, m.state.settings, a.loads).empty());
        const auto& cp102 = m.state.stations[7];
        CHECK(cp102.id == "CP102");
        CHECK(cp102.phases() == policy::PhaseSet::of(policy::Phase::L2));
    }
}
