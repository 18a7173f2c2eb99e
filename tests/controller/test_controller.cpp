// End to end: the real fuseguard binary with a real mosquitto, real Modbus
// servers and real OCPP stations; every assertion is on what MQTT shows or
// what a station received.
#include <doctest/doctest.h>

#include <csignal>
#include <thread>

#include "common/ocpp_rpc.hpp"
#include "site_under_test.hpp"

using namespace fuseguard::test;
using namespace std::chrono_literals;
using nlohmann::json;

TEST_SUITE("Controller") {
    TEST_CASE("a first start knows no failsafe: stations not heard from count at capacity, and say why") {
        SiteUnderTest site(40, false, "non_ev", false);
        MqttWatcher mqtt(site.broker.port(), "fg/#");
        // 40 - meter 10 - EMS 5 - two stations at 32 = -39 A.
        auto s = mqtt.wait_json("fg/site", [](const json& j) { return phases_are(j["available_a"], -39); });
        REQUIRE(s);
        REQUIRE(deduction_of(*s, "charger:A"));
        CHECK(phases_are((*deduction_of(*s, "charger:A"))["current_a"], 32));
        CHECK((*deduction_of(*s, "charger:A"))["reason"].get<std::string>().find("fallback not verified") != std::string::npos);
        auto a = mqtt.wait_json("fg/chargers/A", [](const json& j) { return j.contains("failsafe"); });
        REQUIRE(a);
        CHECK(a->at("failsafe").at("state") == "pending");
        CHECK(a->at("failsafe").at("fallback_a") == 6);
        CHECK(a->at("failsafe").at("counted_at_fallback_offline") == false);
    }

    TEST_CASE("start-up with nothing connected deducts every fallback and says why") {
        SiteUnderTest site(40, false);
        MqttWatcher mqtt(site.broker.port(), "fg/#");
        CHECK(mqtt.wait_text("fg/status", [](const std::string& t) { return t == "online"; }));
        // 40 - meter 10 - EMS 5 - two stations at 6 = 13 A.
        auto s = mqtt.wait_json("fg/site", [](const json& j) { return phases_are(j["available_a"], 13); });
        REQUIRE(s);
        CHECK(phases_are((*s)["fuse_limit_a"], 40));
        CHECK(phases_are((*s)["allocated_a"], 0));
        REQUIRE(deduction_of(*s, "meter:grid"));
        CHECK(phases_are((*deduction_of(*s, "meter:grid"))["current_a"], 10));
        CHECK((*deduction_of(*s, "meter:grid"))["state"] == "unknown");
        CHECK(phases_are((*deduction_of(*s, "ems:bms"))["current_a"], 5));
        CHECK(phases_are((*deduction_of(*s, "charger:A"))["current_a"], 6));
        CHECK(phases_are((*deduction_of(*s, "charger:B"))["current_a"], 6));
        CHECK((*s)["ts"].get<std::string>().back() == 'Z');
        // Meters and EMS unknown at once; stations offline once they had their chance to connect.
        auto notes = mqtt.wait_json("fg/notifications", [](const json& l) {
            return has_note(l, "meter:grid", "MeterUnknown") && has_note(l, "ems:bms", "EMSUnknown") &&
                   has_note(l, "charger:A", "ChargingStationOffline") && has_note(l, "charger:B", "ChargingStationOffline");
        });
        REQUIRE(notes);
        for (const auto& n : *notes)
            if (n["code"] == "MeterUnknown") {
                CHECK(n["description"].get<std::string>().find("10 A") != std::string::npos);
                CHECK(!n["steps"].empty());
            }
        auto a = mqtt.wait_json("fg/chargers/A", [](const json& j) { return j["state"] == "unknown"; });
        REQUIRE(a);
        CHECK(a->at("managed") == false);
        CHECK(a->at("limit_a").is_null());
        CHECK(phases_are(a->at("deduction_a"), 6));
        auto m = mqtt.wait_json("fg/meters/grid", [](const json& j) { return j["state"] == "unknown"; });
        REQUIRE(m);
        CHECK(m->at("ts").is_null());
        CHECK(site.stop() == 0);
        CHECK(mqtt.wait_text("fg/status", [](const std::string& t) { return t == "offline"; }));
    }

    TEST_CASE("meter and EMS going offline and back: fallback deducted, notification raised and cleared") {
        SiteUnderTest site;
        MqttWatcher mqtt(site.broker.port(), "fg/#");
        // 40 - 4 metered - 2 reserved - 2 x 6 = 22 A.
        REQUIRE(mqtt.wait_json("fg/site", [](const json& j) { return phases_are(j["available_a"], 22); }));
        auto m = mqtt.wait_json("fg/meters/grid", [](const json& j) { return j["state"] == "online"; });
        REQUIRE(m);
        CHECK(phases_are(m->at("current_a"), 4));
        CHECK(m->at("ts").is_string());
        auto e = mqtt.wait_json("fg/ems/bms", [](const json& j) { return j["state"] == "online"; });
        REQUIRE(e);
        CHECK(phases_are(e->at("reserved_a"), 2));

        site.meter.stop();
        auto s = mqtt.wait_json("fg/site", [](const json& j) { return phases_are(j["available_a"], 16); });
        REQUIRE(s);
        CHECK((*deduction_of(*s, "meter:grid"))["state"] == "offline");
        CHECK((*deduction_of(*s, "meter:grid"))["reason"].get<std::string>().find("fallback") != std::string::npos);
        REQUIRE(mqtt.wait_json("fg/notifications", [](const json& l) { return has_note(l, "meter:grid", "MeterOffline"); }));
        site.meter.start();
        REQUIRE(mqtt.wait_json("fg/site", [](const json& j) { return phases_are(j["available_a"], 22); }));
        REQUIRE(mqtt.wait_json("fg/notifications", [](const json& l) { return !has_note(l, "meter:grid", "MeterOffline"); }));

        site.ems.stop();
        REQUIRE(mqtt.wait_json("fg/site", [](const json& j) { return phases_are(j["available_a"], 19); }));
        REQUIRE(mqtt.wait_json("fg/notifications", [](const json& l) { return has_note(l, "ems:bms", "EMSOffline"); }));
        site.ems.start();
        REQUIRE(mqtt.wait_json("fg/site", [](const json& j) { return phases_are(j["available_a"], 22); }));
        REQUIRE(mqtt.wait_json("fg/notifications", [](const json& l) { return !has_note(l, "ems:bms", "EMSOffline"); }));
    }

    TEST_CASE("stations get limits, lowerings are answered before raisings, an offline station is deducted") {
        SiteUnderTest site;
        MqttWatcher mqtt(site.broker.port(), "fg/#");
        REQUIRE(mqtt.wait_json("fg/site", [](const json& j) { return phases_are(j["available_a"], 22); }));
        auto a = charging(site, "A");
        // Alone: 40 - 4 - 2 - B's 6 fallback = 28 A.
        REQUIRE(a->wait_calls("SetChargingProfile", [](auto& c) { return !c.empty() && limit_of(c.back().payload) == 28; }));
        auto ja = mqtt.wait_json("fg/chargers/A", [](const json& j) { return j["managed"] == true && j["limit_a"] == 28; });
        REQUIRE(ja);
        CHECK(ja->at("state") == "online");
        CHECK(phases_are(ja->at("deduction_a"), 28));
        CHECK(ja->at("connectors")[0]["status"] == "Charging");

        auto b = charging(site, "B");
        // Both charging: (40 - 4 - 2) / 2 = 17 A each.
        REQUIRE(a->wait_calls("SetChargingProfile", [](auto& c) { return limit_of(c.back().payload) == 17; }));
        REQUIRE(b->wait_calls("SetChargingProfile", [](auto& c) { return !c.empty() && limit_of(c.back().payload) == 17; }));
        REQUIRE(mqtt.wait_json("fg/site", [](const json& j) { return phases_are(j["allocated_a"], 34); }));

        // B's vehicle leaves: B goes to 0 A, and only once B has answered does A go up to 32 A.
        b->status(1, "Available");
        REQUIRE(a->wait_calls("SetChargingProfile", [](auto& c) { return limit_of(c.back().payload) == 32; }));
        const auto b_calls = b->calls("SetChargingProfile");
        const auto a_calls = a->calls("SetChargingProfile");
        const auto b_zero = std::find_if(b_calls.begin(), b_calls.end(), [](auto& c) { return limit_of(c.payload) == 0; });
        REQUIRE(b_zero != b_calls.end());
        CHECK(b_zero->seq < a_calls.back().seq);

        // And back: A is lowered to 17 A before B is raised from 0 A.
        b->status(1, "Charging");
        REQUIRE(b->wait_calls("SetChargingProfile", [](auto& c) { return limit_of(c.back().payload) == 17; }));
        const auto a_low = a->calls("SetChargingProfile").back();
        CHECK(limit_of(a_low.payload) == 17);
        CHECK(a_low.seq < b->calls("SetChargingProfile").back().seq);

        // B drops off: it keeps its 17 A profiles until they step it down
        // (failsafe_after_s 5 s, and 5 s for its vehicle), and is counted so;
        // then at its 6 A fallback, and A gets 40 - 4 - 2 - 6 = 28 A.
        b->close();
        auto lost = mqtt.wait_json("fg/chargers/B", [](const json& j) { return j["state"] == "offline"; });
        REQUIRE(lost);
        CHECK(phases_are(lost->at("deduction_a"), 17));
        auto site_now = mqtt.wait_json("fg/site", [](const json& j) {
            const auto* d = deduction_of(j, "charger:B");
            return d && (*d)["state"] == "offline";
        });
        REQUIRE(site_now);
        CHECK((*deduction_of(*site_now, "charger:B"))["reason"].get<std::string>().find("lost") != std::string::npos);
        CHECK(a->last_limit() == 17);
        REQUIRE(a->wait_calls("SetChargingProfile", [](auto& c) { return limit_of(c.back().payload) == 28; }, 15s));
        auto notes = mqtt.wait_json("fg/notifications", [](const json& l) {
            for (const auto& n : l)
                if (n["device"] == "charger:B" && n["code"] == "ChargingStationOffline" &&
                    n["description"].get<std::string>().find("6 A") != std::string::npos)
                    return true;
            return false;
        });
        CHECK(notes);
        REQUIRE(mqtt.wait_json("fg/chargers/B", [](const json& j) { return j["state"] == "offline" && j["managed"] == false; }));
        auto b2 = charging(site, "B");
        REQUIRE(mqtt.wait_json("fg/notifications", [](const json& l) { return !has_note(l, "charger:B", "ChargingStationOffline"); }));
        REQUIRE(b2->wait_calls("SetChargingProfile", [](auto& c) { return !c.empty() && limit_of(c.back().payload) == 17; }));
    }

    TEST_CASE("a station that rejects its limit is counted at capacity and notified") {
        SiteUnderTest site;
        MqttWatcher mqtt(site.broker.port(), "fg/#");
        auto a = site.station("A");
        a->set_answer("SetChargingProfile", "Rejected");
        a->boot();
        a->status(1, "Charging");
        auto ja = mqtt.wait_json("fg/chargers/A", [](const json& j) { return j["state"] == "online" && j["reason"].get<std::string>().find("rejected") != std::string::npos; });
        REQUIRE(ja);
        CHECK(ja->at("managed") == false);
        CHECK(phases_are(ja->at("deduction_a"), 32));
        REQUIRE(mqtt.wait_json("fg/notifications", [](const json& l) { return has_note(l, "charger:A", "LimitRejected"); }));
    }

    TEST_CASE("an error code with a non-Faulted status shows - NoError and Boot clear it") {
        SiteUnderTest site;
        MqttWatcher mqtt(site.broker.port(), "fg/#");
        auto a = charging(site, "A");
        a->status(1, "Charging", "HighTemperature", {{"vendorErrorCode", "CX003"}, {"info", "derating"}});
        auto notes = mqtt.wait_json("fg/notifications", [](const json& l) { return has_note(l, "charger:A", "HighTemperature"); });
        REQUIRE(notes);
        for (const auto& n : *notes)
            if (n["code"] == "HighTemperature") {
                CHECK(n["connector"] == 1);
                CHECK(n["vendor_code"] == "CX003");
                CHECK(n["info"] == "derating");
                CHECK(n["title"] == "High temperature, power reduced");
                CHECK(!n["steps"].empty());
            }
        auto ja = mqtt.wait_json("fg/chargers/A", [](const json& j) { return j["connectors"].size() == 1 && j["connectors"][0]["errorCode"] == "HighTemperature"; });
        REQUIRE(ja);
        CHECK(ja->at("connectors")[0]["status"] == "Charging");
        // A later error on the connector replaces the earlier one.
        a->status(1, "Faulted", "GroundFailure");
        REQUIRE(mqtt.wait_json("fg/notifications", [](const json& l) {
            return has_note(l, "charger:A", "GroundFailure") && !has_note(l, "charger:A", "HighTemperature");
        }));
        a->status(1, "Charging", "NoError");
        REQUIRE(mqtt.wait_json("fg/notifications", [](const json& l) { return !has_note(l, "charger:A", "GroundFailure"); }));
        a->status(100000, "Faulted", "GroundFailure");  // no such connector: ignored, not stored
        a->status(2, "Available", "ReaderFailure");
        auto with_reader = mqtt.wait_json("fg/notifications", [](const json& l) { return has_note(l, "charger:A", "ReaderFailure"); });
        REQUIRE(with_reader);
        CHECK(!has_note(*with_reader, "charger:A", "GroundFailure"));
        a->boot();
        REQUIRE(mqtt.wait_json("fg/notifications", [](const json& l) { return !has_note(l, "charger:A", "ReaderFailure"); }));
    }

    TEST_CASE("the broker restarting gets everything retained again") {
        SiteUnderTest site;
        auto a = charging(site, "A");
        {
            MqttWatcher mqtt(site.broker.port(), "fg/#");
            REQUIRE(mqtt.wait_json("fg/chargers/A", [](const json& j) { return j["managed"] == true; }));
        }
        site.broker.stop();
        site.broker.start();  // same port, nothing retained
        MqttWatcher fresh(site.broker.port(), "fg/#");
        CHECK(fresh.wait_text("fg/status", [](const std::string& t) { return t == "online"; }, 20s));
        CHECK(fresh.wait_json("fg/chargers/A", [](const json& j) { return j["managed"] == true; }));
        CHECK(fresh.wait_json("fg/site", [](const json& j) { return j.contains("available_a"); }));
        CHECK(fresh.wait_json("fg/meters/grid", [](const json& j) { return j["state"] == "online"; }));
        CHECK(fresh.wait_json("fg/notifications", [](const json& l) { return l.is_array(); }));
    }

    TEST_CASE("SIGHUP with a changed fuse limit re-plans") {
        SiteUnderTest site;
        MqttWatcher mqtt(site.broker.port(), "fg/#");
        auto a = charging(site, "A");
        REQUIRE(a->wait_calls("SetChargingProfile", [](auto& c) { return !c.empty() && limit_of(c.back().payload) == 28; }));
        site.dir.write("site.yaml", site.yaml(30));
        site.process->signal(SIGHUP);
        // 30 - 4 - 2 - B's 6 = 18 A; the station stays connected.
        REQUIRE(a->wait_calls("SetChargingProfile", [](auto& c) { return limit_of(c.back().payload) == 18; }));
        CHECK(a->connected());
        CHECK(mqtt.wait_json("fg/site", [](const json& j) { return phases_are(j["fuse_limit_a"], 30); }));
        CHECK(mqtt.wait_json("fg/chargers/A", [](const json& j) { return j["limit_a"] == 18 && j["managed"] == true; }));
    }

    TEST_CASE("a meter and an EMS that fall silent just before a SIGHUP still go offline on time") {
        SiteUnderTest site;
        MqttWatcher mqtt(site.broker.port(), "fg/#");
        REQUIRE(mqtt.wait_json("fg/site", [](const json& j) { return phases_are(j["available_a"], 22); }));
        // Both go quiet and the reload comes before either is declared
        // offline (1 s): the new buses never get a reading from them, and
        // the 4 A and 2 A last read must not stand for what they now draw
        // (found by the soak, seed 20261206).
        site.meter.stop();
        site.ems.stop();
        site.process->signal(SIGHUP);
        REQUIRE(site.process->wait_for("reloaded", 5s));
        // 40 - 10 - 5 - 2 x 6 = 13 A, within the 1 s of offline_after_s.
        const auto s = mqtt.wait_json("fg/site", [](const json& j) { return phases_are(j["available_a"], 13); }, 3s);
        REQUIRE(s);
        CHECK((*deduction_of(*s, "meter:grid"))["state"] == "offline");
        CHECK((*deduction_of(*s, "ems:bms"))["state"] == "offline");
        CHECK(mqtt.wait_json("fg/notifications", [](const json& l) {
            return has_note(l, "meter:grid", "MeterOffline") && has_note(l, "ems:bms", "EMSOffline");
        }));
        // Back, they are read again through the new buses.
        site.meter.start();
        site.ems.start();
        CHECK(mqtt.wait_json("fg/site", [](const json& j) { return phases_are(j["available_a"], 22); }));
    }

    TEST_CASE("uptime: downtime is counted per EVSE and a restart keeps the history") {
        SiteUnderTest site;
        {
            MqttWatcher mqtt(site.broker.port(), "fg/#");
            // A never connects: after offline_after_s (2 s) it is down.
            REQUIRE(mqtt.wait_json("fg/notifications", [](const json& l) { return has_note(l, "charger:A", "ChargingStationOffline"); }));
            REQUIRE(mqtt.wait_json("fg/chargers/A", [](const json& j) { return j["uptime"][0]["down_for"] == "communication"; }));
            auto b = charging(site, "B");
            b->status(1, "Faulted", "PowerSwitchFailure");
            REQUIRE(mqtt.wait_json("fg/chargers/B", [](const json& j) {
                return !j["uptime"].empty() && j["uptime"][0]["down_for"] == "power_electronics";
            }));
            b->status(1, "Charging", "NoError");
            REQUIRE(mqtt.wait_json("fg/chargers/B", [](const json& j) { return j["uptime"][0]["up"] == true; }));
            // Faulted because of the vehicle: not the station's downtime.
            b->status(1, "Faulted", "EVCommunicationError");
            b->status(2, "Available");  // processed after it: once it shows, the first one was handled
            auto after = mqtt.wait_json("fg/chargers/B", [](const json& j) { return j["connectors"].size() == 2; });
            REQUIRE(after);
            CHECK(after->at("connectors")[0]["errorCode"] == "EVCommunicationError");
            CHECK(after->at("uptime")[0]["up"] == true);
        }
        REQUIRE(site.stop() == 0);
        site.start();
        MqttWatcher mqtt(site.broker.port(), "fg/#");
        auto a = mqtt.wait_json("fg/chargers/A", [](const json& j) { return !j["uptime"].empty(); });
        REQUIRE(a);
        const auto& up = a->at("uptime")[0];
        CHECK(up["evse"] == 1);
        REQUIRE(up["percent_24h"].is_number());
        CHECK(up["percent_24h"].get<double>() < 100);
        CHECK(up["percent_24h"].get<double>() > 0);
        CHECK(up["downtime_s_30d"].contains("communication"));
        auto b = mqtt.wait_json("fg/chargers/B", [](const json& j) { return !j["uptime"].empty(); });
        REQUIRE(b);
        CHECK(b->at("uptime")[0]["downtime_s_30d"].contains("power_electronics"));
    }

    TEST_CASE("operator commands run the OCPP call and answer on result - bad ones get Invalid") {
        SiteUnderTest site;
        MqttWatcher mqtt(site.broker.port(), "fg/#");
        auto a = charging(site, "A");
        REQUIRE(mqtt.wait_json("fg/chargers/A", [](const json& j) { return j["state"] == "online"; }));
        mqtt.publish("fg/cmd/chargers/A/reset", "");
        auto r = mqtt.wait_json("fg/cmd/chargers/A/reset/result", [](const json& j) { return j.contains("status"); });
        REQUIRE(r);
        CHECK(r->at("status") == "Accepted");
        CHECK(r->at("action") == "reset");
        CHECK(a->calls("Reset").size() == 1);
        mqtt.publish("fg/cmd/chargers/A/unlock", R"({"connector": 1})");
        CHECK(mqtt.wait_json("fg/cmd/chargers/A/unlock/result", [](const json& j) { return j["status"] == "Accepted"; }));
        CHECK(a->wait_calls("UnlockConnector", [](auto& c) { return c.size() == 1 && c[0].payload["connectorId"] == 1; }));
        mqtt.publish("fg/cmd/chargers/A/trigger_status", "{}");
        CHECK(a->wait_calls("TriggerMessage", [](auto& c) { return !c.empty(); }));
        a->set_answer("Reset", "Rejected");
        mqtt.publish("fg/cmd/chargers/A/reset", "{}");
        CHECK(mqtt.wait_json("fg/cmd/chargers/A/reset/result", [](const json& j) { return j["status"] == "Rejected"; }));
        mqtt.publish("fg/cmd/chargers/A/unlock", "not json");
        CHECK(mqtt.wait_json("fg/cmd/chargers/A/unlock/result", [](const json& j) { return j["status"] == "Invalid"; }));
        mqtt.publish("fg/cmd/chargers/A/explode", "");
        CHECK(mqtt.wait_json("fg/cmd/chargers/A/explode/result", [](const json& j) { return j["status"] == "Invalid"; }));
        mqtt.publish("fg/cmd/chargers/Z/reset", "");
        CHECK(mqtt.wait_json("fg/cmd/chargers/Z/reset/result", [](const json& j) { return j["status"] == "Invalid"; }));
        mqtt.publish("fg/cmd/chargers/B/reset", "");
        CHECK(mqtt.wait_json("fg/cmd/chargers/B/reset/result", [](const json& j) { return j["status"] == "Offline"; }));
        // Still alive and publishing after all that.
        CHECK(mqtt.wait_json("fg/chargers/A", [](const json& j) { return j["managed"] == true; }));
    }

    TEST_CASE("an ocpp-rpc strict-mode station (1.6 and 2.0.1) gets its limit and its problem shows") {
        SiteUnderTest site;
        MqttWatcher mqtt(site.broker.port(), "fg/#");
        REQUIRE(mqtt.wait_json("fg/site", [](const json& j) { return phases_are(j["available_a"], 22); }));
        for (const std::string protocol : {"ocpp1.6", "ocpp2.0.1"}) {
            CAPTURE(protocol);
            ChildProcess node(ocpp_rpc_command("station.mjs", {std::to_string(site.ocpp_port), "A", protocol}));
            const bool done = node.wait_for("\"step\":\"done\"", 30s);
            INFO(node.output());
            REQUIRE(done);
            // Alone and wanting current: 40 - 4 - 2 - B's 6 = 28 A, schema-checked by ocpp-rpc.
            CHECK(node.output().find("\"step\":\"limit\",\"limit\":28") != std::string::npos);
            const std::string code = protocol == "ocpp1.6" ? "GroundFailure" : "EVSE/Problem";
            auto notes = mqtt.wait_json("fg/notifications", [&](const json& l) { return has_note(l, "charger:A", code); });
            REQUIRE(notes);
            for (const auto& n : *notes)
                if (n["code"] == code) CHECK(n["vendor_code"] == "CX014");
            REQUIRE(node.wait_exit(10s) == 0);
        }
    }

    TEST_CASE("a dead broker never holds up control - what it missed arrives when it is back") {
        SiteUnderTest site;
        site.broker.stop();
        auto a = charging(site, "A");
        REQUIRE(a->wait_calls("SetChargingProfile", [](auto& c) { return !c.empty() && limit_of(c.back().payload) == 28; }));
        site.broker.start();
        MqttWatcher mqtt(site.broker.port(), "fg/#");
        CHECK(mqtt.wait_text("fg/status", [](const std::string& t) { return t == "online"; }, 20s));
        CHECK(mqtt.wait_json("fg/chargers/A", [](const json& j) { return j["managed"] == true && j["limit_a"] == 28; }));
    }

    TEST_CASE("a burst of events is coalesced into few publications - the last state wins") {
        SiteUnderTest site;
        MqttWatcher mqtt(site.broker.port(), "fg/#");
        auto a = charging(site, "A");
        REQUIRE(mqtt.wait_json("fg/chargers/A", [](const json& j) { return j["managed"] == true; }));
        const auto before = mqtt.received("fg/chargers/A");
        for (int i = 0; i < 100; ++i) a->status(1, i % 2 ? "Charging" : "SuspendedEV", "NoError", {{"info", std::to_string(i)}});
        REQUIRE(mqtt.wait_json("fg/chargers/A", [](const json& j) { return j["connectors"].size() == 1 && j["connectors"][0].value("info", "") == "99"; }));
        const auto published = mqtt.received("fg/chargers/A") - before;
        CHECK(published >= 1);
        CHECK(published < 50);
        MESSAGE("100 status changes -> " << published << " publications of fg/chargers/A");
    }
}
