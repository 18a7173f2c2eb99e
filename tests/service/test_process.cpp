// The real fuseguard binary: command line, exit codes, signals, reload.
#include <doctest/doctest.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "common/child_process.hpp"
#include "common/temp_dir.hpp"
#include "modbus/test_server.hpp"
#include "ocpp/ocpp_fixture.hpp"

using namespace fuseguard::test;
using namespace std::chrono_literals;

namespace {

const std::string kBinary = FUSEGUARD_BINARY;

std::string site(int fuse) {
    return "site:\n  id: test\n  fuse_limit_a: " + std::to_string(fuse) +
           "\nchargers:\n  - { id: CP1, max_current_a: 32, fallback_current_a: 6 }\n"
           "ocpp:\n  listen: 127.0.0.1:0\nstate_dir: /tmp\n";
}

}  // namespace

TEST_SUITE("Process") {
    TEST_CASE("--check-config names the line of an unknown key and exits 1") {
        TempDir dir;
        // Line 7 holds the typo.
        auto file = dir.write("bad.yaml",
                              "site:\n  id: test\n  fuse_limit_a: 100\nchargers:\n  - id: CP1\n    max_current_a: 32\n"
                              "    fallback_curent_a: 6\n");
        auto [code, out] = run({kBinary, "--check-config", file});
        CHECK(code == 1);
        CHECK(out.find(file + ":7:5: error: chargers[0].fallback_curent_a: unknown key") != std::string::npos);
    }

    TEST_CASE("--check-config on the example prints the worst case and exits 0") {
        auto [code, out] = run({kBinary, "--check-config", FUSEGUARD_SOURCE_DIR "/examples/site.yaml"});
        CHECK(code == 0);
        CHECK(out.find("valid (12 chargers") != std::string::npos);
        CHECK(out.find("board-b") != std::string::npos);
    }

    TEST_CASE("--version / --help and a bad argument") {
        auto [vcode, vout] = run({kBinary, "--version"});
        CHECK(vcode == 0);
        CHECK(vout.rfind("fuseguard ", 0) == 0);
        auto [hcode, hout] = run({kBinary, "--help"});
        CHECK(hcode == 0);
        CHECK(hout.find("--check-config FILE") != std::string::npos);
        auto [bcode, bout] = run({kBinary, "--frobnicate"});
        CHECK(bcode == 2);
        CHECK(bout.find("unknown argument '--frobnicate'") != std::string::npos);
    }

    TEST_CASE("an invalid file at start-up: exit 1 with the reason") {
        TempDir dir;
        auto file = dir.write("bad.yaml", "site: { id: x }\n");
        auto [code, out] = run({kBinary, "--config", file});
        CHECK(code == 1);
        CHECK(out.find("site.fuse_limit_a: missing") != std::string::npos);
    }

    TEST_CASE("SIGHUP with a broken file keeps the running configuration - a good one is applied") {
        TempDir dir;
        auto file = dir.write("site.yaml", site(100));
        ChildProcess p({kBinary, "--config", file});
        REQUIRE(p.wait_for("running with", 10s));
        CHECK(p.output().find("fuse 100 A") != std::string::npos);

        dir.write("site.yaml", site(100) + "bogus_key: 1\n");
        std::size_t mark = p.output().size();
        p.signal(SIGHUP);
        REQUIRE(p.wait_for("keeping the running configuration", 10s, mark));
        CHECK(p.output().find("bogus_key: unknown key", mark) != std::string::npos);
        CHECK(p.output().find("fuse 100 A", mark) != std::string::npos);
        CHECK(p.running());

        dir.write("site.yaml", site(80));
        mark = p.output().size();
        p.signal(SIGHUP);
        REQUIRE(p.wait_for("reloaded", 10s, mark));
        CHECK(p.output().find("fuse 80 A", mark) != std::string::npos);

        p.signal(SIGTERM);
        CHECK(p.wait_exit(10s) == 0);
        CHECK(p.output().find("stopped") != std::string::npos);
    }

    TEST_CASE("a meter going online and offline changes the budget the service works with") {
        fuseguard::test::TestModbusServer meter;
        meter.set_holding(100, {100, 100, 100});  // 10 A per phase
        TempDir dir;
        auto file = dir.write("site.yaml", "site: { id: test, fuse_limit_a: 100 }\n"
                                           "meters:\n"
                                           "  - id: grid\n"
                                           "    measures: non_ev\n"
                                           "    modbus: { host: 127.0.0.1, port: " + std::to_string(meter.port()) +
                                               ", timeout_s: 0.2 }\n"
                                           "    registers:\n"
                                           "      current_a: { address: 100, scale: 0.1, per_phase: true }\n"
                                           "    poll_interval_s: 0.2\n"
                                           "    offline_after_s: 1\n"
                                           "    fallback_a: 50\n"
                                           "ocpp: { listen: 127.0.0.1:0 }\n"
                                           "state_dir: /tmp\n");
        ChildProcess p({kBinary, "--config", file});
        REQUIRE(p.wait_for("site available for charging: 50 A on L1 L2 L3", 10s));
        REQUIRE(p.wait_for("meter:grid unknown -> online (first good reading)", 10s));
        REQUIRE(p.wait_for("site available for charging: 90 A on L1 L2 L3", 10s));
        const auto mark = p.output().size();
        meter.stop();
        REQUIRE(p.wait_for("meter:grid online -> offline (no good reading for 1.0 s", 10s, mark));
        REQUIRE(p.wait_for("site available for charging: 50 A on L1 L2 L3", 10s, mark));
        p.signal(SIGTERM);
        CHECK(p.wait_exit(10s) == 0);
    }

    TEST_CASE("a station connecting and leaving moves its deduction between capacity and fallback") {
        TempDir dir;
        auto file = dir.write("site.yaml", "site: { id: test, fuse_limit_a: 100 }\n"
                                           "chargers:\n"
                                           "  - { id: CP1, max_current_a: 32, fallback_current_a: 6 }\n"
                                           "ocpp: { listen: 127.0.0.1:0, failsafe_after_s: 5, profile_eval_delay_s: 0 }\n"
                                           "state_dir: " + (dir.path / "state").string() + "\n");
        // Its failsafe was verified by an earlier run.
        std::filesystem::create_directories(dir.path / "state");
        dir.write("state/held_limits.json", R"({"limits": {}, "verified": ["CP1"]})");
        ChildProcess p({kBinary, "--config", file});
        REQUIRE(p.wait_for("site available for charging: 94 A on L1 L2 L3", 10s));  // unknown: 6 A fallback
        REQUIRE(p.wait_for("ocpp: listening on 127.0.0.1:", 10s));
        const auto at = p.output().find("ocpp: listening on 127.0.0.1:") + std::string("ocpp: listening on 127.0.0.1:").size();
        const auto port = static_cast<std::uint16_t>(std::stoi(p.output().substr(at)));
        {
            fuseguard::test::StationClient station;
            REQUIRE(station.connect(port, "/ocpp/CP1") == 101);
            // Online but no limit confirmed yet: its capacity is deducted.
            REQUIRE(p.wait_for("site available for charging: 68 A on L1 L2 L3", 10s));
        }
        REQUIRE(p.wait_for("ocpp: CP1 disconnected", 10s));
        const auto mark = p.output().find("ocpp: CP1 disconnected");
        // Lost with nothing known of what it holds: its capacity until a
        // failsafe would have stepped it down (5 s, and 5 s for a vehicle).
        CHECK(p.output().find("site available for charging: 94 A on L1 L2 L3", mark) == std::string::npos);
        REQUIRE(p.wait_for("site available for charging: 94 A on L1 L2 L3", 15s, mark));
        p.signal(SIGTERM);
        CHECK(p.wait_exit(10s) == 0);
    }
}
