// End to end, what stations draw (controller/station_draw.cpp): a station
// drawing less frees its share, a total meter's non-EV load is worked out from
// the reports its reading holds, a non-EV meter raises a lowered station at once.
#include <doctest/doctest.h>

#include <cstdio>

#include "common/node_peer.hpp"
#include "common/sanitizers.hpp"
#include "site_under_test.hpp"

using namespace fuseguard::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// One connector of the charger topic, or null.
json connector(const json& charger, int n) {
    for (const auto& c : charger["connectors"])
        if (c["connector"] == n) return c;
    return nullptr;
}

// The charger topic shows `amps` reported on L1 of `n`.
bool draw_shown(const json& charger, double amps, int n = 1) {
    const auto c = connector(charger, n);
    return c.is_object() && c["current_a"].is_array() && c["current_a"][0] == amps;
}

// Reports `amps` every 200 ms until the station's last limit is `limit`.
bool report_until_limit(AutoStation& s, double amps, double limit, std::chrono::milliseconds deadline) {
    const auto end = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < end) {
        report_draw(s, amps);
        if (s.wait_calls("SetChargingProfile", [&](auto& c) { return !c.empty() && limit_of(c.back().payload) == limit; },
                         std::chrono::milliseconds(200)))
            return true;
    }
    return false;
}

}  // namespace

TEST_SUITE("Controller") {
    TEST_CASE("a station drawing less frees its share - a reclaimed share is kept until the vehicle could use it") {
        SiteUnderTest site;
        MqttWatcher mqtt(site.broker.port(), "fg/#");
        REQUIRE(mqtt.wait_json("fg/site", [](const json& j) { return phases_are(j["available_a"], 22); }));
        auto a = charging(site, "A");
        auto b = charging(site, "B");
        REQUIRE(b->wait_calls("SetChargingProfile", [](auto& c) { return !c.empty() && limit_of(c.back().payload) == 17; }));
        // A's car takes 5 A: A keeps 2 A above that, B gets the rest (34 - 7).
        REQUIRE(report_until_limit(*a, 5, 7, 10s));
        REQUIRE(b->wait_calls("SetChargingProfile", [](auto& c) { return limit_of(c.back().payload) == 27; }));
        // It draws 6.8 A, into the margin: it wants more and gets its fair share back.
        report_draw(*a, 6.8);
        REQUIRE(a->wait_calls("SetChargingProfile", [](auto& c) { return limit_of(c.back().payload) == 17; }));
        const auto raised = std::chrono::steady_clock::now();
        // A report straight after the raise was drawn under the old limit: it
        // takes nothing back. The re-plan after the EMS reserves 1 A more shows
        // it: A takes that ampere for both (calm limits: one write of the calm
        // step rather than two of 0.5 A) and holds 16 A, B keeps 17 A (a cap
        // on that report would give A 8.9 A).
        report_draw(*a, 6.9);
        REQUIRE(mqtt.wait_json("fg/chargers/A", [](const json& j) { return draw_shown(j, 6.9); }));
        site.ems.set_holding(200, {30, 30, 30});
        REQUIRE(a->wait_calls("SetChargingProfile", [](auto& c) { return limit_of(c.back().payload) == 16; }));
        CHECK(limit_of(b->calls("SetChargingProfile").back().payload) == 17);
        // Once the vehicle has had its 5 s, a draw of 7 A frees the rest again.
        REQUIRE(report_until_limit(*a, 7, 9, 10s));
        CHECK(std::chrono::steady_clock::now() - raised > 4500ms);
        REQUIRE(b->wait_calls("SetChargingProfile", [](auto& c) { return limit_of(c.back().payload) == 24; }));
    }

    // Skipped under the sanitizers, where it fails about one run in twelve:
    // a reading of 31 A after A accepted its lowering to 17 A and before the
    // test set the meter to 21 A counts the difference as non-EV load (A may
    // still be following the lowering), and this meter, unlike a car, does
    // not follow the lower limits that follow (docs/testing.md, "Open"). The
    // plain pass runs it.
    TEST_CASE("a total meter: a report is taken off only while the reading holds it - before a rise, after a lowering or a stop" *
              doctest::skip(kUnderSanitizers)) {
        SiteUnderTest site(40, true, "total");
        MqttWatcher mqtt(site.broker.port(), "fg/#");
        auto non_ev_is = [](double a) { return [a](const json& j) { return phases_are(j["non_ev_load_a"], a); }; };
        REQUIRE(mqtt.wait_json("fg/site", non_ev_is(4)));
        // A alone: 40 - 4 - 2 - B's 6 A fallback = 28 A. Its car takes 26 A,
        // and the meter sees it: 4 + 26.
        auto a = charging(site, "A");
        REQUIRE(a->wait_calls("SetChargingProfile", [](auto& c) { return !c.empty() && limit_of(c.back().payload) == 28; }));
        // Its report first: a reading of 30 A before it would count all of
        // the car's draw as non-EV load and pause A, and this meter, unlike
        // a car, does not follow a pause.
        report_draw(*a, 26);
        REQUIRE(mqtt.wait_json("fg/chargers/A", [](const json& j) { return draw_shown(j, 26); }));
        site.meter.set_holding(100, {300, 300, 300});
        REQUIRE(mqtt.wait_json("fg/meters/grid", [](const json& j) { return phases_are(j["current_a"], 30); }));
        REQUIRE(mqtt.wait_json("fg/site", non_ev_is(4)));
        // It reports 27 A before the meter has seen the extra ampere: taken off
        // the reading that still holds 26 A, the other loads would look like
        // 3 A. It counts from a reading a second later, which holds it.
        report_draw(*a, 27);
        REQUIRE(mqtt.wait_json("fg/chargers/A", [](const json& j) { return draw_shown(j, 27); }));
        CHECK(phases_are(json::parse(*mqtt.last("fg/site"))["non_ev_load_a"], 4));
        site.meter.set_holding(100, {310, 310, 310});
        REQUIRE(mqtt.wait_json("fg/meters/grid", [](const json& j) { return phases_are(j["current_a"], 31); }));
        // Where it failed under the sanitizers: what was shown instead.
        INFO("fg/site: " << mqtt.last("fg/site").value_or("(none)") << "\nfg/chargers/A: "
                         << mqtt.last("fg/chargers/A").value_or("(none)"));
        REQUIRE(mqtt.wait_json("fg/site", non_ev_is(4)));
        // Its main meter (connector 0) says the same: one draw, taken off once.
        report_draw(*a, 27.2, 0);
        REQUIRE(mqtt.wait_json("fg/chargers/A", [](const json& j) { return draw_shown(j, 27.2, 0); }));
        CHECK(phases_are(json::parse(*mqtt.last("fg/site"))["non_ev_load_a"], 4));
        // B arrives: A goes down to 17 A, then B up to 17 A once a reading
        // shows A's car has followed (until then, what A's lowering may
        // hide holds raises back). A's car follows at once and B's has not
        // started: the meter reads 4 + 17. A's last report still says 27 A;
        // taken off in full, the other loads would look like 0 A and 4 A
        // would be handed out twice.
        auto b = charging(site, "B");
        REQUIRE(a->wait_calls("SetChargingProfile", [](auto& c) { return limit_of(c.back().payload) == 17; }));
        site.meter.set_holding(100, {210, 210, 210});
        REQUIRE(b->wait_calls("SetChargingProfile", [](auto& c) { return !c.empty() && limit_of(c.back().payload) == 17; }));
        // The site is published just before the meter, from the same state.
        REQUIRE(mqtt.wait_json("fg/meters/grid", [](const json& j) { return phases_are(j["current_a"], 21); }));
        const auto first = mqtt.last("fg/site");
        REQUIRE(first);
        CHECK(phases_are(json::parse(*first)["non_ev_load_a"], 4));
        REQUIRE(mqtt.wait_json("fg/site", [](const json& j) {
            return phases_are(j["non_ev_load_a"], 4) && phases_are(j["allocated_a"], 34);
        }));
        CHECK(a->last_limit() == 17);
        CHECK(b->last_limit() == 17);
        // A's car pauses itself (SuspendedEV): it keeps its 17 A, draws
        // nothing, and its report of 27 A no longer stands for anything.
        a->status(1, "SuspendedEV");
        REQUIRE(mqtt.wait_json("fg/chargers/A", [](const json& j) { return connector(j, 1)["status"] == "SuspendedEV"; }));
        site.meter.set_holding(100, {40, 40, 40});
        REQUIRE(mqtt.wait_json("fg/meters/grid", [](const json& j) { return phases_are(j["current_a"], 4); }));
        const auto paused = mqtt.last("fg/site");
        REQUIRE(paused);
        CHECK(phases_are(json::parse(*paused)["non_ev_load_a"], 4));
    }

    TEST_CASE("a total meter: a station that reports more often than a second still has its rise taken off") {
        SiteUnderTest site(40, true, "total");
        MqttWatcher mqtt(site.broker.port(), "fg/#");
        auto non_ev_is = [](double a) { return [a](const json& j) { return phases_are(j["non_ev_load_a"], a); }; };
        REQUIRE(mqtt.wait_json("fg/site", non_ev_is(4)));
        auto a = charging(site, "A");
        REQUIRE(a->wait_calls("SetChargingProfile", [](auto& c) { return !c.empty() && limit_of(c.back().payload) == 28; }));
        report_draw(*a, 0);
        REQUIRE(mqtt.wait_json("fg/chargers/A", [](const json& j) { return draw_shown(j, 0); }));
        // Its car starts: 10 A, in the meter's readings and in reports every
        // 300 ms. Each report is newer than a second when the meter is read
        // (every 200 ms), but the one a second before is held by it. (Until
        // then the other loads look like 14 A, and A goes down to 18 A.)
        site.meter.set_holding(100, {140, 140, 140});
        REQUIRE(mqtt.wait_json("fg/meters/grid", [](const json& j) { return phases_are(j["current_a"], 14); }));
        const auto end = std::chrono::steady_clock::now() + 5s;
        bool taken_off = false;
        while (!taken_off && std::chrono::steady_clock::now() < end) {
            report_draw(*a, 10);
            taken_off = mqtt.wait_json("fg/site", non_ev_is(4), 300ms).has_value();
        }
        CHECK(taken_off);
    }

    TEST_CASE("with a non-EV meter a lowered station is raised again at once") {
        // The raise hold is for total meters (test_plan_execution.cpp): a
        // non-EV meter's reading does not depend on what the stations report.
        SiteUnderTest site;
        MqttWatcher mqtt(site.broker.port(), "fg/#");
        REQUIRE(mqtt.wait_json("fg/site", [](const json& j) { return phases_are(j["available_a"], 22); }));
        auto a = charging(site, "A");
        auto b = charging(site, "B");
        REQUIRE(b->wait_calls("SetChargingProfile", [](auto& c) { return !c.empty() && limit_of(c.back().payload) == 17; }));
        report_draw(*a, 16);
        REQUIRE(mqtt.wait_json("fg/chargers/A", [](const json& j) { return draw_shown(j, 16); }));
        // The EMS reserves 6 A more: both go down to 14 A, and back.
        site.ems.set_holding(200, {80, 80, 80});
        REQUIRE(a->wait_calls("SetChargingProfile", [](auto& c) { return limit_of(c.back().payload) == 14; }));
        REQUIRE(b->wait_calls("SetChargingProfile", [](auto& c) { return limit_of(c.back().payload) == 14; }));
        site.ems.set_holding(200, {20, 20, 20});
        REQUIRE(b->wait_calls("SetChargingProfile", [](auto& c) { return limit_of(c.back().payload) == 17; }));
        CHECK(a->wait_calls("SetChargingProfile", [](auto& c) { return limit_of(c.back().payload) == 17; }, 3s));
    }

    TEST_CASE("a 1-phase car on a 3-phase station frees the other phases until a draw or a new vehicle needs them") {
        SiteUnderTest site;
        // The EMS holds 20 A on L2 and L3: 34 A are free on L1, 16 A on L2 and L3.
        site.ems.set_holding(200, {20, 200, 200});
        auto a = charging(site, "A");
        auto b = charging(site, "B");
        auto limit_is = [](double amps) { return [amps](auto& c) { return !c.empty() && limit_of(c.back().payload) == amps; }; };
        REQUIRE(a->wait_calls("SetChargingProfile", limit_is(8)));
        REQUIRE(b->wait_calls("SetChargingProfile", limit_is(8)));
        // Two reports of A's car on its L1 alone: L2 and L3 hold B only (16 A),
        // and A takes what L1 has left (34 - 16).
        a->send_meter_values({7.8, 0, 0});
        a->send_meter_values({7.8, 0, 0});
        REQUIRE(b->wait_calls("SetChargingProfile", limit_is(16)));
        REQUIRE(a->wait_calls("SetChargingProfile", limit_is(18)));
        // A pause and a charge again: the same vehicle, still on one phase.
        a->status(1, "SuspendedEV");
        a->status(1, "Charging");
        a->send_meter_values({17.5, 0.2, 0.3});
        CHECK_FALSE(b->wait_calls("SetChargingProfile", limit_is(8), 1500ms));
        // The car now draws on L2 as well: all of A's phases count at once.
        a->send_meter_values({17.5, 9, 0});
        REQUIRE(b->wait_calls("SetChargingProfile", limit_is(8)));
        REQUIRE(a->wait_calls("SetChargingProfile", limit_is(8)));
        // Freed again, then the vehicle leaves and another comes: it may use
        // every phase, so every phase counts until it shows otherwise.
        a->send_meter_values({7.8, 0, 0});
        a->send_meter_values({7.8, 0, 0});
        REQUIRE(b->wait_calls("SetChargingProfile", limit_is(16)));
        a->status(1, "Available");
        a->status(1, "Preparing");
        a->status(1, "Charging");
        REQUIRE(b->wait_calls("SetChargingProfile", limit_is(8)));
        REQUIRE(a->wait_calls("SetChargingProfile", limit_is(8)));
    }

    // Issue 16: behind a total meter a raised station's vehicle shows as
    // other loads until the station reports; it is asked to, once its
    // vehicle has had a response time to follow. ocpp-rpc's strict station
    // checks the request against the schemas of its version.
    TEST_CASE("a total meter: a raised station is asked for its meter values, in the schema of its version") {
        SiteUnderTest site(40, true, "total");
        for (const std::string protocol : {"ocpp1.6", "ocpp2.0.1"}) {
            CAPTURE(protocol);
            const bool v16 = protocol == "ocpp1.6";
            NodePeer st("driven_station.mjs", {std::to_string(site.ocpp_port), "A", protocol});
            REQUIRE(st.wait_step("connected"));
            const auto now = [] { return std::string("2026-12-07T12:00:00Z"); };
            const json boot = v16 ? json{{"chargePointVendor", "Ask"}, {"chargePointModel", "Me"}}
                                  : json{{"reason", "PowerUp"}, {"chargingStation", {{"model", "Me"}, {"vendorName", "Ask"}}}};
            REQUIRE(st.request({{"call", "BootNotification"}, {"params", boot}}, "BootNotification", 10s));
            const json status = v16 ? json{{"connectorId", 1}, {"errorCode", "NoError"}, {"status", "Charging"}}
                                    : json{{"timestamp", now()}, {"connectorStatus", "Occupied"}, {"evseId", 1}, {"connectorId", 1}};
            REQUIRE(st.request({{"call", "StatusNotification"}, {"params", status}}, "StatusNotification", 10s));
            // Its first limit is a raise from nothing: asked a response time later.
            const auto asked = st.wait(
                [](const json& j) {
                    return j.value("step", "") == "frame" && j.value("dir", "") == "in" &&
                           j["message"].get<std::string>().find("\"TriggerMessage\"") != std::string::npos;
                },
                15s);
            INFO(st.output());
            REQUIRE(asked);
            const auto call = json::parse((*asked)["message"].get<std::string>());
            CHECK(call[3]["requestedMessage"] == "MeterValues");
            if (v16)
                CHECK(call[3]["connectorId"] == 1);
            else
                CHECK(call[3]["evse"]["id"] == 1);
            CHECK(st.wait_step("handled", {{"method", "TriggerMessage"}}, 5s));
            CHECK_FALSE(st.wait_step("schema", json::object(), 100ms));
        }
    }
}
