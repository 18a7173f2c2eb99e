// What fuseguard hands to the broker, and when (drivers/mqtt/mqtt_link.cpp):
// the real binary against a real mosquitto, watched by a Paho client.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "drivers/iso8601.hpp"
#include "site_under_test.hpp"

using namespace fuseguard::test;
using namespace std::chrono_literals;

namespace {
// Now as fuseguard writes a ts: UTC, milliseconds, so that text order is time order.
std::string utc_now() { return fuseguard::iso8601(std::chrono::system_clock::now(), true); }
}  // namespace

TEST_SUITE("Controller") {
    TEST_CASE("a site of 1,500 stations publishes every charger's state at once - none refused, none left behind") {
        // Paho queues at most 100 publications by default: the first flush of
        // a large site was mostly refused, and those topics stayed stale.
        // Past 1,024 unacknowledged, topics wait for room (mqtt_link.cpp).
        TempDir dir;
        Mosquitto broker;
        constexpr int kStations = 1500;
        std::string yaml = "site: { id: big, fuse_limit_a: 20000 }\nchargers:\n";
        for (int i = 0; i < kStations; ++i) yaml += "  - { id: C" + std::to_string(i) + ", max_current_a: 16 }\n";
        yaml += "ocpp: { listen: 127.0.0.1:0 }\nmqtt: { broker: tcp://127.0.0.1:" + std::to_string(broker.port()) +
                ", topic_prefix: fg }\nstate_dir: " + (dir.path / "state").string() + "\n";
        MqttWatcher mqtt(broker.port(), "fg/chargers/#");
        ChildProcess p({FUSEGUARD_BINARY, "--config", dir.write("site.yaml", yaml)});
        REQUIRE(p.wait_for("mqtt: connected", 10s));
        int missing = kStations;
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (missing > 0 && std::chrono::steady_clock::now() < deadline) {
            missing = 0;
            for (int i = 0; i < kStations; ++i) missing += mqtt.last("fg/chargers/C" + std::to_string(i)) ? 0 : 1;
            if (missing > 0) std::this_thread::sleep_for(100ms);
        }
        CHECK(missing == 0);
        p.read_available();
        CHECK(p.output().find("cannot publish") == std::string::npos);
    }

    TEST_CASE("a broker that stalls gets one version of a topic in flight, then the latest - not every change it missed") {
        // Handing Paho every change of a topic while the broker does not
        // acknowledge keeps a copy of each: on a large site the notifications
        // list (a megabyte at 5,000 stations) changed every flush held
        // 62 MB while the site came up. The grid meter's topic changes with every
        // 0.2 s reading (its ts), so a 3 s stall sees about 15 versions.
        SiteUnderTest site;
        MqttWatcher mqtt(site.broker.port(), "fg/meters/#");
        REQUIRE(mqtt.wait_json("fg/meters/grid", [](const nlohmann::json& j) { return j.value("state", "") == "online"; }));
        const std::string paused = utc_now();
        site.broker.pause();
        std::this_thread::sleep_for(3s);  // the stall itself, not a wait for a result
        const std::string resumed = utc_now();
        site.broker.resume();
        // Everything from the stall has arrived once a reading taken after it has.
        REQUIRE(mqtt.wait_json("fg/meters/grid", [&](const nlohmann::json& j) { return j.value("ts", "") > resumed; }, 15s));
        int during_stall = 0;
        for (const auto& text : mqtt.history("fg/meters/grid")) {
            const auto ts = nlohmann::json::parse(text).value("ts", "");
            during_stall += ts >= paused && ts < resumed ? 1 : 0;
        }
        // The version in flight when it stalled and the latest once it was
        // acknowledged; every reading between is superseded.
        CHECK(during_stall >= 1);
        CHECK(during_stall <= 2);
    }
}
