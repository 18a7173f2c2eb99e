// End to end, from the stations' side: the real fuseguard binary and real
// websocket stations, every limit they receive and every answer they send
// in one order. A station is counted at the most it may draw: a limit it
// received may apply at once, a lowering counts only from its answer
// (SPEC 1). Answers are delayed where the defect needs a window to show.
#include <doctest/doctest.h>

#include <csignal>
#include <regex>

#include "auto_station.hpp"
#include "common/child_process.hpp"
#include "common/ocpp_rpc.hpp"
#include "small_site.hpp"

using namespace fuseguard::test;
using namespace std::chrono_literals;


TEST_SUITE("Controller") {
    TEST_CASE("a reload that lowers one station's cap raises the others only once its lowering is answered") {
        Site site(100, {32, 32, 32, 32});
        for (auto& s : site.stations) {
            s->boot();
            s->status(1, "Charging");
        }
        for (auto& s : site.stations) REQUIRE(holds(*s, 25));
        // S0 takes a second to answer: the window in which the others must wait.
        site.stations[0]->set_answer_delay("SetChargingProfile", 1000ms);
        const auto from = AutoStation::now();
        site.reload(100, {10, 32, 32, 32});
        CHECK(holds(*site.stations[0], 10));
        for (std::size_t i = 1; i < 4; ++i) CHECK(holds(*site.stations[i], 30));
        const auto peak = station_side_peak(site.all(), 32, from);
        INFO("peak at the ", peak.at);
        CHECK(peak.peak_a <= 100);
    }

    TEST_CASE("a car that plugs in at once after the station went idle gets its current") {
        Site site(100, {32, 32});
        auto& s = *site.stations[0];
        s.boot();
        s.status(1, "Charging");
        REQUIRE(holds(s, 32));
        SUBCASE("Available, Preparing, Charging within 50 ms") {
            s.status(1, "Available");
            s.status(1, "Preparing");
            s.status(1, "Charging");
        }
        SUBCASE("Preparing and Charging while the answer to its 0 A takes a second") {
            s.set_answer_delay("SetChargingProfile", 1000ms);
            s.status(1, "Available");
            REQUIRE(s.wait_calls("SetChargingProfile", [](auto& c) { return limit_of(c.back().payload) == 0; }));
            s.status(1, "Preparing");
            s.status(1, "Charging");
        }
        CHECK(holds(s, 32, 6s));
    }

    TEST_CASE("a station that connects idle and has a car at once gets its current") {
        Site site(100, {32, 32});
        auto& s = *site.stations[0];
        SUBCASE("at once") {
            s.boot();
            s.status(1, "Available");
            s.status(1, "Preparing");
            s.status(1, "Charging");
        }
        SUBCASE("while its first limit's answer takes a second") {
            s.set_answer_delay("SetChargingProfile", 1000ms);
            s.boot();
            s.status(1, "Available");
            REQUIRE(s.wait_calls("SetChargingProfile", [](auto& c) { return !c.empty(); }));
            s.status(1, "Preparing");
            s.status(1, "Charging");
        }
        CHECK(holds(s, 32, 6s));
    }
}

// The same cases with stations nobody here wrote: npm's ocpp-rpc in strict
// mode, every frame checked against the OCPP 1.6 schemas (tests/ocpp/interop/site.mjs).
namespace {
std::unique_ptr<ChildProcess> strict_stations(std::uint16_t port, std::vector<std::string> args) {
    args.insert(args.begin(), std::to_string(port));
    return std::make_unique<ChildProcess>(ocpp_rpc_command("site.mjs", args));
}

// The peak the stations counted, from their "done" line.
double counted_peak(const std::string& output) {
    std::smatch m;
    REQUIRE(std::regex_search(output, m, std::regex("\"step\":\"done\",\"peak\":([0-9.]+)")));
    return std::stod(m[1]);
}
}  // namespace

TEST_SUITE("Controller") {
    TEST_CASE("ocpp-rpc strict stations: a reload that lowers one cap keeps the site within its fuse") {
        Site site(100, {32, 32, 32, 32}, false);
        auto node = strict_stations(site.port, {"reload", "S0", "S1", "S2", "S3", "S0=10", "S1=30", "S2=30", "S3=30"});
        REQUIRE(node->wait_for("await-reload", 20s));
        CHECK(node->wait_for("\"share\":25", 1s));
        site.reload(100, {10, 32, 32, 32});
        INFO(node->output());
        CHECK(node->wait_exit(20s) == 0);
        CHECK(counted_peak(node->output()) <= 100);
    }

    TEST_CASE("ocpp-rpc strict station: a car that plugs in at once after the station went idle gets its current") {
        Site site(100, {32, 32}, false);
        std::vector<std::string> args{"plug-in", "S0", "S0=32"};
        SUBCASE("within 50 ms") {}
        SUBCASE("while the answer to its 0 A takes a second") { args.push_back("slow"); }
        auto node = strict_stations(site.port, args);
        INFO(node->output());
        CHECK(node->wait_exit(30s) == 0);
        CHECK(node->output().find("\"step\":\"done\"") != std::string::npos);
    }
}
