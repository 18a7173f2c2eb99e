// The real fuseguard as local controller between stations and an ocpp-rpc
// CSMS in strict mode: what the CSMS asks of the stations' limits, counted
// from the stations' side.
#include <doctest/doctest.h>

#include <boost/asio/ip/tcp.hpp>

#include "common/node_peer.hpp"
#include "site_under_test.hpp"
#include "small_site.hpp"

using namespace fuseguard::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

std::string backend_section(const CsmsPeer& csms) {
    return "backend: { url: '" + csms.url() + "', reconnect_max_s: 1 }\n";
}

// A 1.6 station maximum from the CSMS, in force from the start of 2026.
json station_max(int id, double amps) {
    return {{"connectorId", 0},
            {"csChargingProfiles",
             {{"chargingProfileId", id},
              {"stackLevel", 0},
              {"chargingProfilePurpose", "ChargePointMaxProfile"},
              {"chargingProfileKind", "Absolute"},
              {"chargingSchedule",
               {{"startSchedule", "2026-01-01T00:00:00Z"},
                {"chargingRateUnit", "A"},
                {"chargingSchedulePeriod", {{{"startPeriod", 0}, {"limit", amps}}}}}}}}};
}

// A loopback port nothing listens on (yet).
std::uint16_t unused_port() {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    return a.local_endpoint().port();
}

// Whether `csms` saw a frame of `action` come in from station `identity`.
bool csms_got(CsmsPeer& csms, const std::string& identity, const std::string& action) {
    return csms.peer
        .wait([&](const json& j) {
            return j.value("step", "") == "frame" && j.value("dir", "") == "in" && j.value("identity", "") == identity &&
                   j["message"].get<std::string>().find('"' + action + '"') != std::string::npos;
        })
        .has_value();
}

// Calls `method` on a driven_station.mjs station and waits for its result.
json station_call(NodePeer& st, const std::string& method, const json& params) {
    auto r = st.request({{"call", method}, {"params", params}}, method, 10s);
    INFO(st.output());
    REQUIRE(r);
    REQUIRE((*r)["step"] == "result");
    return (*r)["result"];
}

}  // namespace

TEST_SUITE("LocalController") {
    TEST_CASE("a CSMS limit below a station's share binds, one above it is capped by the fuse") {
        CsmsPeer csms("-");
        Site site(40, {32, 32}, true, "", backend_section(csms));
        for (auto& s : site.stations) {
            s->boot();
            s->status(1, "Charging");
        }
        REQUIRE(csms.peer.wait_step("connected", {{"identity", "S0"}}));
        REQUIRE(csms.peer.wait_step("connected", {{"identity", "S1"}}));
        for (auto& s : site.stations) REQUIRE(holds(*s, 20));
        const auto from = AutoStation::now();

        CHECK(csms.call("S0", "SetChargingProfile", station_max(7, 11)) == "Accepted");
        CHECK(holds(*site.stations[0], 11));
        CHECK(holds(*site.stations[1], 29));  // what S0 may not use goes to S1
        CHECK(site.process->wait_for("ocpp: S0: backend limit 11 A", 5s));

        // Raised by the CSMS above the fuse share: the fuse decides.
        CHECK(csms.call("S0", "SetChargingProfile", station_max(7, 32)) == "Accepted");
        CHECK(holds(*site.stations[1], 20));
        CHECK(holds(*site.stations[0], 20));
        // Cleared: the same.
        CHECK(csms.call("S0", "ClearChargingProfile", {{"id", 7}}) == "Accepted");
        CHECK(csms.call("S0", "ClearChargingProfile", {{"id", 7}}) == "Unknown");

        const auto peak = station_side_peak(site.all(), 32, from);
        INFO("peak at the ", peak.at);
        CHECK(peak.peak_a <= 40);
        // The CSMS's profiles never reached the stations.
        for (auto& s : site.stations)
            for (const auto& c : s->calls("SetChargingProfile")) CHECK(c.payload.dump().find("2026-01-01") == std::string::npos);
    }

    TEST_CASE("a tag with a priority lifts its station while its transaction runs") {
        Site site(40, {32, 32}, true, "", "authorization: { tags: [ { id: VIP, priority: 5 }, { id: STAFF } ] }\n");
        for (auto& s : site.stations) {
            s->boot();
            s->status(1, "Charging");
        }
        for (auto& s : site.stations) REQUIRE(holds(*s, 20));
        auto& vip = *site.stations[1];
        vip.start_transaction("VIP");
        CHECK(holds(vip, 32));
        CHECK(holds(*site.stations[0], 8));
        vip.stop_transaction();
        CHECK(holds(*site.stations[0], 20));
        CHECK(holds(vip, 20));
    }

    TEST_CASE("fuseguard restarted with messages the CSMS has not seen loses none of them") {
        const auto port = unused_port();
        Site site(40, {32}, false, "",
                  "backend: { url: 'ws://127.0.0.1:" + std::to_string(port) +
                      "/ocpp', reconnect_max_s: 1, answer_timeout_s: 1 }\nauthorization: { tags: [ { id: TAG1 } ] }\n");
        {
            NodePeer st("driven_station.mjs", {std::to_string(site.port), "S0", "ocpp1.6"});
            REQUIRE(st.wait_step("connected"));
            CHECK(station_call(st, "BootNotification", {{"chargePointVendor", "Keep"}, {"chargePointModel", "It"}})
                      ["interval"] == 60);  // fuseguard's: no CSMS
            auto start = station_call(st, "StartTransaction", {{"connectorId", 1}, {"idTag", "TAG1"}, {"meterStart", 0},
                                                               {"timestamp", "2026-12-06T02:00:00Z"}});
            REQUIRE(start["idTagInfo"]["status"] == "Accepted");
            const int tx = start["transactionId"].get<int>();
            station_call(st, "MeterValues",
                         {{"connectorId", 1},
                          {"transactionId", tx},
                          {"meterValue",
                           {{{"timestamp", "2026-12-06T02:05:00Z"},
                             {"sampledValue", {{{"value", "1234"}, {"measurand", "Energy.Active.Import.Register"}}}}}}}});
            site.restart_after_kill();
        }
        // Back after the restart, the CSMS up at last: it hears of the
        // station first, then everything it missed, in order.
        CsmsPeer csms("-", 0, port);
        NodePeer again("driven_station.mjs", {std::to_string(site.port), "S0", "ocpp1.6"});
        REQUIRE(again.wait_step("connected"));
        auto last = csms.peer.wait(
            [](const json& j) {
                return j.value("step", "") == "frame" && j.value("dir", "") == "in" &&
                       j["message"].get<std::string>().find("MeterValues") != std::string::npos;
            },
            20s);
        INFO(csms.peer.output());
        INFO(site.process->output());
        REQUIRE(last);
        std::vector<json> calls;
        for (const auto& f : csms.peer.frames("in")) calls.push_back(json::parse(f));
        REQUIRE(calls.size() >= 3);
        CHECK(calls[0][2] == "BootNotification");
        CHECK(calls[0][3]["chargePointVendor"] == "Keep");
        CHECK(calls[1][2] == "StartTransaction");
        CHECK(calls[1][3]["timestamp"] == "2026-12-06T02:00:00Z");
        CHECK(calls[2][2] == "MeterValues");
        CHECK(calls[2][3]["transactionId"] == 4242);  // the CSMS's id for it
        CHECK(calls[2][3]["meterValue"][0]["timestamp"] == "2026-12-06T02:05:00Z");
    }

    TEST_CASE("tags the CSMS accepted still charge after fuseguard restarts while the CSMS is away") {
        auto csms = std::make_unique<CsmsPeer>("-");
        Site site(40, {32}, false, "",
                  "backend: { url: '" + csms->url() + "', reconnect_max_s: 1, answer_timeout_s: 1 }\n");
        {
            NodePeer st("driven_station.mjs", {std::to_string(site.port), "S0", "ocpp1.6"});
            REQUIRE(st.wait_step("connected"));
            REQUIRE(csms->peer.wait_step("connected", {{"identity", "S0"}}));
            station_call(st, "BootNotification", {{"chargePointVendor", "Keep"}, {"chargePointModel", "Tags"}});
            REQUIRE(station_call(st, "Authorize", {{"idTag", "TAG1"}})["idTagInfo"]["status"] == "Accepted");
            REQUIRE(station_call(st, "Authorize", {{"idTag", "BAD1"}})["idTagInfo"]["status"] == "Invalid");
            csms->peer.process().signal(SIGKILL);
            REQUIRE(csms->peer.process().wait_exit(5s));
            csms.reset();
            site.restart_after_kill();
        }
        NodePeer again("driven_station.mjs", {std::to_string(site.port), "S0", "ocpp1.6"});
        REQUIRE(again.wait_step("connected"));
        INFO(site.process->output());
        CHECK(station_call(again, "Authorize", {{"idTag", "TAG1"}})["idTagInfo"]["status"] == "Accepted");
        CHECK(station_call(again, "Authorize", {{"idTag", "BAD1"}})["idTagInfo"]["status"] == "Invalid");
        CHECK(station_call(again, "Authorize", {{"idTag", "NEVERSEEN"}})["idTagInfo"]["status"] == "Invalid");
    }

    TEST_CASE("the CSMS link and its queue are shown per station, BackendOffline raised while it is away") {
        const auto port = unused_port();
        SiteUnderTest site;
        site.stop();
        site.dir.write("site.yaml", site.yaml(40) + "backend: { url: 'ws://127.0.0.1:" + std::to_string(port) +
                                        "/ocpp', reconnect_max_s: 1, answer_timeout_s: 1 }\n"
                                        "authorization: { tags: [ { id: TAG } ] }\n");
        site.start();
        MqttWatcher mqtt(site.broker.port(), "fg/#");
        auto a = site.station("A");
        a->boot();
        auto down = mqtt.wait_json("fg/chargers/A", [](const json& j) {
            return j.contains("backend") && j["backend"].is_object() && j["backend"]["state"] == "offline";
        });
        INFO(site.process->output());
        REQUIRE(down);
        CHECK((*down)["backend"]["cause"].get<std::string>().find("cannot connect") != std::string::npos);
        auto notes = mqtt.wait_json("fg/notifications", [](const json& l) { return has_note(l, "charger:A", "BackendOffline"); });
        REQUIRE(notes);
        for (const auto& n : *notes)
            if (n["code"] == "BackendOffline") CHECK(!n["steps"].empty());
        a->status(1, "Charging");
        a->start_transaction("TAG");
        REQUIRE(mqtt.wait_json("fg/chargers/A", [](const json& j) { return j["backend"]["queued"] == 1; }));
        // The CSMS appears: the station catches up, the notification goes.
        CsmsPeer csms("-", 0, port);
        REQUIRE(mqtt.wait_json("fg/chargers/A", [](const json& j) {
            return j["backend"]["state"] == "online" && j["backend"]["queued"] == 0;
        }, 15s));
        REQUIRE(mqtt.wait_json("fg/notifications", [](const json& l) { return !has_note(l, "charger:A", "BackendOffline"); }));
        CHECK(csms.peer.wait([](const json& j) {
            return j.value("step", "") == "frame" && j.value("dir", "") == "in" &&
                   j["message"].get<std::string>().find("StartTransaction") != std::string::npos;
        }));
    }

    // An installer moving the site to another CSMS (or giving it a new
    // password) reloads; the stations must not notice.
    TEST_CASE("a reload that changes the backend moves the links to the new CSMS and keeps the stations connected") {
        CsmsPeer first("-");
        SiteUnderTest site;
        site.stop();
        site.dir.write("site.yaml", site.yaml(40) + backend_section(first));
        site.start();
        auto a = site.station("A");
        a->boot();
        REQUIRE(csms_got(first, "A", "BootNotification"));

        CsmsPeer second("-");
        site.dir.write("site.yaml", site.yaml(40) + backend_section(second));
        const auto from = site.process->output().size();
        site.process->signal(SIGHUP);
        REQUIRE(site.process->wait_for("reloaded", 10s, from));
        INFO(site.process->output().substr(from));
        CHECK(first.peer.wait_step("closed"));  // the old CSMS sees the station's link go
        REQUIRE(second.peer.wait_step("connected"));
        a->status(1, "Available");
        CHECK(csms_got(second, "A", "StatusNotification"));
        CHECK(a->connected());

        // Its own identity at the CSMS changed: its link alone reconnects, as that identity.
        std::string yaml = site.yaml(40) + backend_section(second);
        const std::string line = "id: A, max_current_a: 32, fallback_current_a: 6";
        REQUIRE(yaml.find(line) != std::string::npos);
        yaml.replace(yaml.find(line), line.size(), line + ", backend_identity: A-upstream");
        site.dir.write("site.yaml", yaml);
        const auto again = site.process->output().size();
        site.process->signal(SIGHUP);
        REQUIRE(site.process->wait_for("reloaded", 10s, again));
        REQUIRE(second.peer.wait_step("connected", {{"identity", "A-upstream"}}));
        a->status(1, "Preparing");
        CHECK(csms_got(second, "A-upstream", "StatusNotification"));
        CHECK(a->connected());
        CHECK(site.process->output().find("A disconnected", from) == std::string::npos);
    }
}
