// The failsafe verified per station (drivers/ocpp/charger_failsafe.cpp, SPEC 1
// and 5): what a station's composite schedule shows decides whether, offline,
// it counts at its fallback or at its capacity. End to end with the real
// binary, a real mosquitto and AutoStations that answer GetCompositeSchedule
// from the profiles they really hold.
#include <doctest/doctest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "site_under_test.hpp"

using namespace fuseguard::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {
bool failsafe_is(const json& charger, const std::string& state) {
    return charger.contains("failsafe") && charger["failsafe"]["state"] == state;
}

// Reports `amps` about once a second until `id` is notified as ignoring its
// limit (LimitIgnored), or `deadline` passes: the notifications then, if so.
std::optional<json> report_until_ignored(MqttWatcher& mqtt, AutoStation& station, const std::string& id, double amps,
                                         std::chrono::seconds deadline) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    std::optional<json> notes;
    while (!notes && std::chrono::steady_clock::now() < until) {
        report_draw(station, amps);
        notes = mqtt.wait_json("fg/notifications", [&](const json& l) { return has_note(l, "charger:" + id, "LimitIgnored"); }, 1s);
    }
    return notes;
}
}  // namespace

TEST_SUITE("Controller") {
    TEST_CASE("failsafe: a station refusing GetCompositeSchedule is unverified, notified, counted at capacity offline") {
        SiteUnderTest site(40, true, "non_ev", false);  // a first start: nothing verified yet
        MqttWatcher mqtt(site.broker.port(), "fg/#");
        auto a = site.station("A");
        a->set_answer("GetCompositeSchedule", "Rejected");
        a->boot();
        auto shown = mqtt.wait_json("fg/chargers/A", [](const json& j) { return failsafe_is(j, "unverified"); });
        REQUIRE(shown);
        CHECK((*shown)["failsafe"]["reason"] == "it answered GetCompositeSchedule with Rejected");
        CHECK((*shown)["failsafe"]["counted_at_fallback_offline"] == false);
        CHECK((*shown)["failsafe"]["fallback_a"] == 6);
        auto notes = mqtt.wait_json("fg/notifications", [](const json& l) { return has_note(l, "charger:A", "FallbackUnverified"); });
        REQUIRE(notes);
        for (const auto& n : *notes)
            if (n["code"] == "FallbackUnverified") {
                CHECK(n["info"] == "it answered GetCompositeSchedule with Rejected");
                CHECK(!n["steps"].empty());
            }
        // Gone: its capacity, not its fallback, and not only until a step
        // nothing showed it holds.
        a->close();
        auto s = mqtt.wait_json("fg/site", [](const json& j) {
            const auto* d = deduction_of(j, "charger:A");
            return d && (*d)["state"] == "offline";
        });
        REQUIRE(s);
        CHECK(phases_are((*deduction_of(*s, "charger:A"))["current_a"], 32));
        CHECK((*deduction_of(*s, "charger:A"))["reason"].get<std::string>().find("fallback not verified") != std::string::npos);
        // Back, answering: verified, the notification cleared, and once lost
        // again it steps down to what it is counted at.
        auto again = site.station("A");
        again->boot();
        REQUIRE(mqtt.wait_json("fg/chargers/A", [](const json& j) {
            return failsafe_is(j, "verified") && j["failsafe"]["counted_at_fallback_offline"] == true;
        }));
        REQUIRE(mqtt.wait_json("fg/notifications", [](const json& l) { return !has_note(l, "charger:A", "FallbackUnverified"); }));
        again->close();
        REQUIRE(mqtt.wait_json("fg/site", [](const json& j) {
            const auto* d = deduction_of(j, "charger:A");
            return d && (*d)["state"] == "offline" && phases_are((*d)["current_a"], 6);
        }, 20s));
    }

    TEST_CASE("failsafe: a station that accepts its profiles and ignores them is unverified") {
        SiteUnderTest site(40, true, "non_ev", false);
        MqttWatcher mqtt(site.broker.port(), "fg/#");
        auto a = site.station("A");
        a->ignore_profiles(32);
        a->boot();
        auto shown = mqtt.wait_json("fg/chargers/A", [](const json& j) { return failsafe_is(j, "unverified"); });
        REQUIRE(shown);
        CHECK((*shown)["failsafe"]["reason"].get<std::string>().find("it allows 32.0 A from +0 s, above its limit") !=
              std::string::npos);
        REQUIRE(mqtt.wait_json("fg/notifications", [](const json& l) { return has_note(l, "charger:A", "FallbackUnverified"); }));
    }

    TEST_CASE("failsafe: a station drawing above the limit it accepted ignores it: capacity, notified, cleared when it obeys") {
        SiteUnderTest site;  // 40 A, 4 A non-EV, 2 A for the EMS
        MqttWatcher mqtt(site.broker.port(), "fg/#");
        auto a = charging(site, "A");
        auto b = charging(site, "B");
        REQUIRE(a->wait_calls("SetChargingProfile", [](auto& c) { return !c.empty() && limit_of(c.back().payload) == 17; }));
        REQUIRE(b->wait_calls("SetChargingProfile", [](auto& c) { return !c.empty() && limit_of(c.back().payload) == 17; }));
        // Within its limit and the vehicle's slack: nothing.
        report_draw(*a, 18);
        // Well above it, twice, a vehicle's response time apart.
        REQUIRE(report_until_ignored(mqtt, *a, "A", 30, 20s));
        // Counted at its capacity: 40 - 6 - 32 leaves the other station 2 A,
        // below the 6 A minimum, so it is paused.
        REQUIRE(b->wait_calls("SetChargingProfile", [](auto& c) { return limit_of(c.back().payload) == 0; }, 10s));
        auto shown = mqtt.wait_json("fg/chargers/A", [](const json& j) { return j["managed"] == false; });
        REQUIRE(shown);
        CHECK((*shown)["failsafe"]["counted_at_fallback_offline"] == false);
        // It draws within its limit again: managed, and the notification goes.
        report_draw(*a, 15);
        REQUIRE(mqtt.wait_json("fg/notifications", [](const json& l) { return !has_note(l, "charger:A", "LimitIgnored"); }));
        REQUIRE(b->wait_calls("SetChargingProfile", [](auto& c) { return limit_of(c.back().payload) == 17; }, 10s));
    }

    // Its limit changing every couple of seconds (the building load moving)
    // must not hide it: what counts is the highest limit it held within a
    // vehicle's response time, not the time since its last one.
    TEST_CASE("failsafe: a station ignoring a limit that changes every two seconds is still found") {
        SiteUnderTest site;  // 40 A, 4 A non-EV, 2 A for the EMS: 17 A each
        MqttWatcher mqtt(site.broker.port(), "fg/#");
        auto a = charging(site, "A");
        auto b = charging(site, "B");
        REQUIRE(a->wait_calls("SetChargingProfile", [](auto& c) { return !c.empty() && limit_of(c.back().payload) == 17; }));
        const auto until = std::chrono::steady_clock::now() + 30s;
        std::optional<json> notes;
        bool high = false;
        std::set<double> limits;
        while (!notes && std::chrono::steady_clock::now() < until) {
            // 4 A and 8 A of building load in turn: 17 A and 15 A each.
            high = !high;
            site.meter.set_holding(100, high ? std::vector<std::uint16_t>{80, 80, 80} : std::vector<std::uint16_t>{40, 40, 40});
            for (int i = 0; i < 2 && !notes; ++i) {
                report_draw(*a, 28);
                notes = mqtt.wait_json("fg/notifications", [](const json& l) { return has_note(l, "charger:A", "LimitIgnored"); }, 1s);
            }
            limits.insert(a->last_limit());
        }
        INFO(site.process->output());
        CHECK(limits.size() >= 2);  // the limit did change under it
        REQUIRE(notes);
        REQUIRE(b->wait_calls("SetChargingProfile", [](auto& c) { return limit_of(c.back().payload) == 0; }, 10s));
    }

    // A restart changes nothing at the station: the next run counts it at
    // its capacity from the start, and notifies it, until it obeys.
    TEST_CASE("failsafe: a station found ignoring its limit is still counted at its capacity after a restart") {
        SiteUnderTest site;
        MqttWatcher mqtt(site.broker.port(), "fg/#");
        {
            auto a = charging(site, "A");
            auto b = charging(site, "B");
            REQUIRE(a->wait_calls("SetChargingProfile", [](auto& c) { return !c.empty() && limit_of(c.back().payload) == 17; }));
            REQUIRE(report_until_ignored(mqtt, *a, "A", 30, 20s));
        }
        REQUIRE(site.stop() == 0);
        const auto sites_before = mqtt.history("fg/site").size(), notes_before = mqtt.history("fg/notifications").size();
        site.start();
        // Not connected yet: its capacity, not its 6 A fallback, in what the
        // new run publishes first, and notified.
        const auto until = std::chrono::steady_clock::now() + 10s;
        while ((mqtt.history("fg/site").size() <= sites_before || mqtt.history("fg/notifications").size() <= notes_before) &&
               std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(20ms);
        const auto sites = mqtt.history("fg/site");
        REQUIRE(sites.size() > sites_before);
        const auto first = json::parse(sites[sites_before]);
        const auto* d = deduction_of(first, "charger:A");
        REQUIRE(d);
        CHECK(phases_are((*d)["current_a"], 32));
        const auto notes = mqtt.history("fg/notifications");
        REQUIRE(notes.size() > notes_before);
        CHECK(has_note(json::parse(notes[notes_before]), "charger:A", "LimitIgnored"));
        // Back and drawing within its limit: managed again, the mark gone from state_dir.
        auto a = charging(site, "A");
        REQUIRE(a->wait_calls("SetChargingProfile", [](auto& c) { return !c.empty(); }));
        report_draw(*a, std::max(0.0, a->last_limit() - 1));
        REQUIRE(mqtt.wait_json("fg/notifications", [](const json& l) { return !has_note(l, "charger:A", "LimitIgnored"); }));
        std::stringstream held;
        held << std::ifstream(site.dir.path / "state" / "held_limits.json").rdbuf();
        CHECK(held.str().find("\"ignoring\":[]") != std::string::npos);
    }
}
