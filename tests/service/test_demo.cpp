// The demo as scripts/run.sh starts it (mosquitto, fuseguard-sim, fuseguard
// with examples/demo.yaml, view off) for 30 s: MQTT must show stations online
// and charging, with every published budget inside the fuses.
#include <doctest/doctest.h>

#include <csignal>
#include <thread>

#include "common/child_process.hpp"
#include "controller/mqtt_fixture.hpp"

using namespace fuseguard::test;
using namespace std::chrono_literals;
using nlohmann::json;

TEST_SUITE("Demo") {
    TEST_CASE("the demo runs 30 s: stations online and charging with limits within the fuse") {
        std::filesystem::remove_all("/tmp/fuseguard-demo");
        Mosquitto broker(11883);  // the port examples/demo.yaml names
        MqttWatcher mqtt(broker.port(), "fuseguard/demo/#");
        ChildProcess sim({FUSEGUARD_SIM, FUSEGUARD_SOURCE_DIR "/examples/simulator/demo-sim.yaml"});
        ChildProcess fg({FUSEGUARD_BINARY, "--config", FUSEGUARD_SOURCE_DIR "/examples/demo.yaml"});
        REQUIRE(fg.wait_for("running with", 10s));
        const auto end = std::chrono::steady_clock::now() + 30s;
        while (std::chrono::steady_clock::now() < end) {
            REQUIRE(fg.running());
            REQUIRE(sim.running());
            std::this_thread::sleep_for(500ms);
        }
        CHECK(mqtt.last("fuseguard/demo/status") == "online");

        // Every budget published during the run kept the safety rule.
        const auto sites = mqtt.history("fuseguard/demo/site");
        REQUIRE(sites.size() > 5);
        for (const auto& text : sites) {
            const auto site = json::parse(text);
            auto within = [](const json& f) {
                for (int p = 0; p < 3; ++p)
                    if (f["allocated_a"][p].get<double>() > f["available_a"][p].get<double>() + 1e-6) return false;
                return true;
            };
            CHECK(within(site));
            for (const auto& [id, board] : site["circuits"].items()) CHECK(within(board));
        }

        int online = 0, charging = 0;
        for (int i = 1; i <= 8; ++i) {
            const auto text = mqtt.last("fuseguard/demo/chargers/CP0" + std::to_string(i));
            REQUIRE(text);
            const auto c = json::parse(*text);
            if (c["state"] == "online") ++online;
            bool car = false;
            for (const auto& con : c["connectors"])
                car = car || con["status"] == "Charging" || con["status"] == "Occupied" || con["status"] == "SuspendedEV";
            if (car && c["managed"] == true && c["limit_a"].is_number() && c["limit_a"].get<double>() >= 6) ++charging;
        }
        CHECK(online >= 6);
        CHECK(charging >= 2);
        CHECK(mqtt.last("fuseguard/demo/meters/grid").value_or("").find("\"online\"") != std::string::npos);

        fg.signal(SIGTERM);
        CHECK(fg.wait_exit(10s) == 0);
        sim.signal(SIGTERM);
        CHECK(sim.wait_exit(10s) == 0);
    }
}
