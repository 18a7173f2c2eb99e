// Uptime's history on disk (controller/uptime.cpp, drivers/sqlite_state.cpp):
// a damaged database never stops anything; it is kept aside for whoever
// wants to look at it, and a fresh history starts (issue 17).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "common/temp_dir.hpp"
#include "controller/uptime.hpp"
#include "site_under_test.hpp"

using namespace fuseguard;
using namespace fuseguard::test;
using namespace std::chrono_literals;
using controller::UptimeTracker;

namespace {

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

// A history with an EVSE down for a while, written the way fuseguard does.
void write_history(const std::string& db, UptimeTracker::Clock::time_point t0, int stations) {
    UptimeTracker u(db, t0);
    for (int i = 0; i < stations; ++i) u.set("S" + std::to_string(i), 1, "communication", t0);
    for (int i = 0; i < stations; ++i) u.set("S" + std::to_string(i), 1, std::nullopt, t0 + 60s);
    u.alive(t0 + 120s, true);
}

}  // namespace

TEST_SUITE("Controller") {
    TEST_CASE("a damaged uptime database is kept aside and a fresh history starts in its place") {
        TempDir dir;
        const auto db = (dir.path / "uptime.sqlite").string();
        const auto t0 = UptimeTracker::Clock::now() - 1h;
        SUBCASE("not a database at all") {
            std::string junk;
            for (int i = 0; i < 200; ++i) junk += "this is not what fuseguard writes\n";
            dir.write("uptime.sqlite", junk);
        }
        SUBCASE("cut short (a disk that lost the end of the file)") {
            write_history(db, t0 - 1h, 400);  // a few pages
            const auto size = std::filesystem::file_size(db);
            REQUIRE(size > 3 * 4096);
            std::filesystem::resize_file(db, size / 2);
        }
        const std::string damaged = read_file(db);
        write_history(db, t0, 1);
        // The damaged bytes are kept, under a name that says so.
        const auto aside = files_starting_with(dir.path, "uptime.sqlite.broken-");
        REQUIRE(aside.size() == 1);
        CHECK(read_file(aside[0]) == damaged);
        // The fresh file holds a history like any other: a restart reads it.
        UptimeTracker again(db, t0 + 180s);
        const auto figures = again.figures("S0", 1, t0 + 180s);
        REQUIRE(figures.downtime_s_30d.count("communication") == 1);
        CHECK(figures.downtime_s_30d.at("communication") == doctest::Approx(60));
        CHECK(files_starting_with(dir.path, "uptime.sqlite.broken-").size() == 1);
    }

    TEST_CASE("fuseguard starts on a damaged uptime database and says what it did with it") {
        SiteUnderTest site;
        REQUIRE(site.stop() == 0);
        const auto state = site.dir.path / "state";
        std::ofstream(state / "uptime.sqlite", std::ios::trunc) << std::string(10000, 'x');
        site.start();
        MqttWatcher mqtt(site.broker.port(), "fg/#");
        // It runs: the site is published and a station gets its limit.
        REQUIRE(mqtt.wait_json("fg/site", [](const nlohmann::json& j) { return j.contains("available_a"); }));
        auto a = charging(site, "A");
        CHECK(a->wait_calls("SetChargingProfile", [](auto& c) { return !c.empty(); }));
        site.process->read_available();
        const auto& out = site.process->output();
        INFO(out);
        CHECK(out.find("is damaged") != std::string::npos);
        CHECK(out.find("starting afresh") != std::string::npos);
        CHECK(files_starting_with(state, "uptime.sqlite.broken-").size() == 1);
    }
}
