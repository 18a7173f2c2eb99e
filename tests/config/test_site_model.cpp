// From the installer's file to the policy's view of the site.
#include <doctest/doctest.h>

#include "config/load.hpp"
#include "controller/site_model.hpp"
#include "policy/allocation.hpp"

using namespace fuseguard;

TEST_SUITE("SiteModel") {
    TEST_CASE("the example depot starts with every device unknown, and every fallback deducted once verified") {
        auto r = config::load_file(FUSEGUARD_SOURCE_DIR "/examples/site.yaml");
        REQUIRE(r.ok());
        auto m = controller::build_site_model(*r.config);
        CHECK(m.tree.size() == 3);
        CHECK(m.state.stations.size() == 12);
        for (const auto& s : m.state.stations) CHECK(s.state == policy::DeviceState::Unknown);
        // Never seen, nothing shows they hold a fallback layer: at capacity.
        for (std::uint32_t i = 0; i < m.state.stations.size(); ++i) {
            const auto d = policy::station_deduction(m.state.stations[i], i, m.state.settings);
            CHECK(d.current == policy::PhaseCurrents::on(m.state.stations[i].phases(), m.state.stations[i].max_current));
        }
        // As the stations' failsafes are verified (or a restart finds them
        // verified in state_dir): their fallbacks.
        for (auto& s : m.state.stations) s.fallback_trusted = true;
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
