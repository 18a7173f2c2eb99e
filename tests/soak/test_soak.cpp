// A randomized end-to-end fault soak (issue 17; label soak; docs/testing.md).
//
// The real binary with a real mosquitto, real Modbus servers for the grid
// meter and the EMS, and 50 AutoStations (tests/controller/auto_station.hpp,
// which keep their charging profiles with the same engine as a station:
// HeldProfiles). A seeded schedule of faults runs against them: stations
// dropping and reconnecting, rebooting, falling silent, refusing profiles,
// answering them late or accepting and ignoring them, sending garbage, cars
// coming and going; the
// meter and the EMS going mute, refusing or answering garbage (all ones,
// NaN, infinity, a negative current); the building load and the EMS's
// reservation moving;
// the broker restarting; SIGHUP with good and broken files; fuseguard
// killed with SIGKILL and started again.
//
// A checker thread looks every 10 ms at what could flow through the fuse,
// from the devices' side and not from fuseguard's: what each station may
// draw under the profiles it holds (kept across its reconnections, as a real
// station keeps them), plus the true building load and the EMS's true
// reservation. A rise of those two counts only after kReaction, the time
// any controller needs to see it and lower the stations. A station that
// accepts its profiles and ignores them (its car draws what it wants) adds
// what it draws beyond them once fuseguard could have found it from its
// reports (kDetection). Any phase over the fuse is a violation.
//
//   FUSEGUARD_SOAK_SEED=S    replays the schedule of a run (the seed is printed)
//   FUSEGUARD_SOAK_STEPS=N   steps (default 300; docs/testing.md for the long mode)
//   FUSEGUARD_SOAK_LOG=F     writes fuseguard's whole log to F at the end
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <random>

#include "soak.hpp"

using namespace fuseguard::test::soak;

TEST_SUITE("Soak") {
    TEST_CASE("soak: random faults never let what the stations hold and the building draw exceed a fuse phase") {
        const std::uint64_t seed = env_or("FUSEGUARD_SOAK_SEED", std::random_device{}());
        const int steps = static_cast<int>(env_or("FUSEGUARD_SOAK_STEPS", 300));
        MESSAGE("soak seed " << seed << ", " << steps << " steps (replay: FUSEGUARD_SOAK_SEED=" << seed << ")");
        Soak soak(seed);
        REQUIRE(soak.bring_up());
        soak.start_checker();
        for (int i = 1; i <= steps && !soak.fuseguard_crashed(); ++i) soak.step(i);
        soak.settle();
        soak.stop_checker();

        INFO("seed " << seed);
        INFO(soak.log_tail());
        CHECK_FALSE(soak.fuseguard_crashed());
        const auto violations = soak.violations();
        for (const auto& v : violations) MESSAGE(v);
        CHECK(violations.empty());
        CHECK(soak.checks() > static_cast<std::size_t>(steps));
        MESSAGE("checks: " << soak.checks() << ", the most that could flow on a phase: " << soak.closest() << " A of "
                           << kFuse << "; stations ignoring their profiles: " << soak.disobeyed() << ", found "
                           << soak.found_ignoring() << " times\n" << soak.figures());
        CHECK(soak.most_open_files() < kStations + 100);
        CHECK(soak.stop_fuseguard() == 0);
        if (const char* path = std::getenv("FUSEGUARD_SOAK_LOG"); path && *path) std::ofstream(path) << soak.whole_log();
    }
}
