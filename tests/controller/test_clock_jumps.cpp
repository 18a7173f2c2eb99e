// The wall clock stepped an hour forward and back under the running binary
// (Debian's libfaketime, the monotonic clock left alone, as an NTP step or a
// station's time sync would do): nothing is declared offline or online for
// it, no downtime is counted for it, and what is published carries the new
// time (issue 17). Every duration fuseguard measures is on the monotonic
// clock; only timestamps are on the wall clock.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "drivers/iso8601.hpp"
#include "common/sanitizers.hpp"
#include "site_under_test.hpp"

using namespace fuseguard;
using namespace fuseguard::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

constexpr const char* kFaketime = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";

// The meter's timestamp, as published, less the real time now, in seconds.
std::optional<double> published_offset_s(const json& meter) {
    if (!meter.contains("ts") || !meter["ts"].is_string()) return std::nullopt;
    const auto ts = parse_iso8601(meter["ts"].get<std::string>());
    if (!ts) return std::nullopt;
    return std::chrono::duration<double>(*ts - std::chrono::system_clock::now()).count();
}

bool nothing_went_down(const json& notifications) {
    for (const auto& n : notifications)
        if (n.value("code", "") == "ChargingStationOffline" || n.value("device", "").rfind("meter:", 0) == 0 ||
            n.value("device", "").rfind("ems:", 0) == 0)
            return false;
    return true;
}

}  // namespace

TEST_SUITE("Controller") {
    // Runs in the plain (GCC) pass; CI's sanitizer pass is clang's (sanitizers.hpp).
    TEST_CASE("the wall clock stepped an hour forward and back changes nothing but the timestamps" *
              doctest::skip(kFaketimeUnavailable)) {
        REQUIRE(std::filesystem::exists(kFaketime));
        SiteUnderTest site;
        REQUIRE(site.stop() == 0);
        const auto clock_file = site.dir.write("faketime", "+0\n");
        site.launcher = {"/usr/bin/env", std::string("LD_PRELOAD=") + kFaketime, "FAKETIME_TIMESTAMP_FILE=" + clock_file,
                         "FAKETIME_CACHE_DURATION=1", "FAKETIME_DONT_FAKE_MONOTONIC=1",
                         // The sanitizer build's runtime must otherwise come first.
                         "ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=1"};
        site.start();
        MqttWatcher mqtt(site.broker.port(), "fg/#");
        auto a = charging(site, "A");
        auto b = charging(site, "B");
        REQUIRE(mqtt.wait_json("fg/chargers/A", [](const json& j) { return j["state"] == "online" && j["managed"] == true; }));
        REQUIRE(mqtt.wait_json("fg/chargers/B", [](const json& j) { return j["state"] == "online" && j["managed"] == true; }));
        site.process->read_available();
        const auto log_before = site.process->output().size();

        for (const auto& jump : {std::pair{"+3600", 3600.0}, std::pair{"-3600", -3600.0}}) {
            // Named, not a structured binding: clang 14 cannot capture one in a lambda.
            const char* step = jump.first;
            const double offset = jump.second;
            INFO("clock " << step);
            std::ofstream(clock_file, std::ios::trunc) << step << "\n";
            // Published timestamps follow the new wall clock within a few readings.
            REQUIRE(mqtt.wait_json("fg/meters/grid", [offset](const json& j) {
                const auto off = published_offset_s(j);
                return off && std::abs(*off - offset) < 60;
            }));
            // Stations keep talking (heartbeats, reports) for longer than
            // their offline_after_s (2 s) and the meter's (1 s) on the
            // stepped clock: nothing goes down or comes back for it.
            const auto until = std::chrono::steady_clock::now() + 4s;
            while (std::chrono::steady_clock::now() < until) {
                report_draw(*a, 5);
                report_draw(*b, 5);
                std::this_thread::sleep_for(300ms);  // the stations' own pace, not a wait for a result
            }
            const auto notes = mqtt.last("fg/notifications");
            REQUIRE(notes);
            CHECK(nothing_went_down(json::parse(*notes)));
            for (const char* topic : {"fg/meters/grid", "fg/ems/bms"}) {
                const auto m = mqtt.last(topic);
                REQUIRE(m);
                CHECK(json::parse(*m)["state"] == "online");
            }
            for (const char* id : {"A", "B"}) {
                const auto c = mqtt.last(std::string("fg/chargers/") + id);
                REQUIRE(c);
                const auto j = json::parse(*c);
                CHECK(j["state"] == "online");
                CHECK(j["managed"] == true);
                // No downtime: the step is not time the station was away.
                const auto& up = j["uptime"][0];
                CHECK(up["up"] == true);
                CHECK(up["downtime_s_30d"].empty());
                if (up["percent_24h"].is_number()) CHECK(up["percent_24h"].get<double>() == doctest::Approx(100));
            }
        }
        CHECK(a->connected());
        // Its 5 A draw freed the rest of its share, as without a step: 5 A
        // and the 2 A margin.
        CHECK(a->last_limit() == 7);
        site.process->read_available();
        const auto log_since = site.process->output().substr(log_before);
        INFO(log_since);
        CHECK(log_since.find("offline") == std::string::npos);
        CHECK(log_since.find("online") == std::string::npos);
    }
}
