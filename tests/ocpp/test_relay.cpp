// fuseguard as local controller (charger_relay.cpp): ocpp-rpc stations in
// strict mode behind it, an ocpp-rpc CSMS in strict mode in front of it,
// checking basic auth; nothing here was written to fit fuseguard.
#include <boost/asio/ip/tcp.hpp>

#include <algorithm>
#include <csignal>
#include <thread>

#include "drivers/iso8601.hpp"
#include "relay_fixture.hpp"

using namespace fuseguard;
using namespace fuseguard::test;
using namespace std::chrono_literals;
using nlohmann::json;


TEST_SUITE("OcppRelay") {
    TEST_CASE("a station behind fuseguard reaches the CSMS byte for byte, both ways, and fuseguard's calls stay apart") {
        CsmsPeer csms("upstream-secret");
        OcppFixture fx({relayed("RELAY1", "upstream-secret")}, OcppFixture::defaults(), backend_at(csms.port));
        DrivenStation st(fx.port, "RELAY1");
        REQUIRE(csms.peer.wait_step("connected", {{"identity", "RELAY1"}, {"protocol", "ocpp1.6"}}));

        // The CSMS's answers, not fuseguard's (its heartbeat interval is 60).
        auto boot = st.call("BootNotification", boot_params());
        CHECK(boot["result"]["interval"] == 300);
        REQUIRE(fx.next<ocpp::StationBooted>());  // fuseguard still reads what passes
        auto vendor = st.call("DataTransfer", {{"vendorId", "com.vendor.x"}, {"messageId", "m"}, {"data", "opaque"}});
        CHECK(vendor["result"]["data"] == "csms saw opaque");
        const json signed_value = {
            {"connectorId", 1},
            {"meterValue",
             {{{"timestamp", "2026-12-06T00:00:00Z"},
               {"sampledValue",
                {{{"value", "OCMF|{\"FV\":\"1.0\",\"RD\":[{\"RV\":1.234}]}|{\"SA\":\"ECDSA\",\"SD\":\"3045\"}"},
                  {"format", "SignedData"},
                  {"measurand", "Energy.Active.Import.Register"}},
                 {{"value", "9.5"}, {"measurand", "Current.Import"}, {"phase", "L1"}, {"unit", "A"}}}}}}}};
        st.call("MeterValues", signed_value);
        auto draw = fx.next<ocpp::DrawMeasured>();
        REQUIRE(draw);
        CHECK(draw->current_a[0] == doctest::Approx(9.5));
        CHECK(st.call("Authorize", {{"idTag", "TAG1"}})["result"]["idTagInfo"]["status"] == "Accepted");
        CHECK(st.call("Authorize", {{"idTag", "BAD1"}})["result"]["idTagInfo"]["status"] == "Invalid");
        auto start = st.call("StartTransaction",
                             {{"connectorId", 1}, {"idTag", "TAG1"}, {"meterStart", 0}, {"timestamp", "2026-12-06T00:00:01Z"}});
        CHECK(start["result"]["transactionId"] == 4242);  // the CSMS's id
        auto started = fx.next<ocpp::TransactionChanged>();
        REQUIRE(started);
        CHECK(started->transaction_id == "4242");

        // The CSMS's calls reach the station and its answers come back.
        for (const auto& call :
             std::vector<std::pair<std::string, json>>{{"RemoteStartTransaction", {{"idTag", "TAG1"}, {"connectorId", 1}}},
                                                      {"Reset", {{"type", "Soft"}}},
                                                      {"ChangeConfiguration", {{"key", "MeterValueSampleInterval"}, {"value", "30"}}}}) {
            const std::string& method = call.first;  // captured below: clang 14 cannot capture a structured binding
            const json& params = call.second;
            const auto seen = st.peer.lines().size();
            csms.peer.command({{"call", method}, {"identity", "RELAY1"}, {"params", params}});
            auto result = csms.peer.wait_step("result", {{"method", method}});
            INFO(csms.peer.output());
            REQUIRE(result);
            CHECK((*result)["result"]["status"] == "Accepted");
            CHECK(st.peer.wait([&](const json& j) { return j.value("step", "") == "handled" && j["method"] == method; },
                               10s, seen));
        }

        // Byte for byte: what the station sent is what the CSMS got, and
        // what the CSMS sent is what the station got, in order.
        // fuseguard's own calls to the station ("fg-" ids) and their answers
        // never reach the CSMS.
        auto ours = [](const std::string& f) { return json::parse(f)[1].get<std::string>().rfind("fg-", 0) == 0; };
        auto station_out = st.peer.frames("out");
        auto station_in = st.peer.frames("in");
        const auto own_calls = std::erase_if(station_in, ours);
        const auto own_answers = std::erase_if(station_out, ours);
        CHECK(own_calls >= 3);  // GetConfiguration, the profiles... did go to the station
        CHECK(own_answers == own_calls);
        CHECK(station_out == csms.peer.frames("in"));
        CHECK(station_in == csms.peer.frames("out"));
        const auto csms_in = csms.peer.frames("in");
        CHECK(csms_in.size() == 9);  // the station's six calls, its three answers
        for (const auto& f : csms_in) CHECK(json::parse(f)[1].get<std::string>().rfind("fg-", 0) != 0);
        CHECK(csms.peer.output().find("\"step\":\"schema\"") == std::string::npos);
        CHECK(st.peer.output().find("\"step\":\"schema\"") == std::string::npos);
    }

    TEST_CASE("a CSMS profile is an upper bound that never reaches the station: fuseguard owns its limits") {
        std::string protocol = "ocpp1.6";
        SUBCASE("OCPP 1.6") {}
        SUBCASE("OCPP 2.0.1") { protocol = "ocpp2.0.1"; }
        const bool v16 = protocol == "ocpp1.6";
        CsmsPeer csms("-");
        OcppFixture fx({relayed("RELAY2", std::nullopt)}, OcppFixture::defaults(), backend_at(csms.port));
        DrivenStation st(fx.port, "RELAY2", protocol);
        REQUIRE(csms.peer.wait_step("connected", {{"identity", "RELAY2"}}));
        auto first = fx.next<ocpp::BackendLimitChanged>();  // none yet
        REQUIRE(first);
        CHECK_FALSE(first->limit_a);
        auto csms_call = [&](const std::string& method, const json& params) { return csms.call("RELAY2", method, params); };
        auto profile = [&](int id, const std::string& purpose, double limit, const std::string& unit) {
            json schedule = {{"chargingRateUnit", unit}, {"chargingSchedulePeriod", {{{"startPeriod", 0}, {"limit", limit}}}}};
            json p = {{"stackLevel", 0}, {"chargingProfilePurpose", purpose}, {"chargingProfileKind", "Relative"}};
            if (v16) {
                p["chargingProfileId"] = id;
                p["chargingSchedule"] = schedule;
                return json{{"connectorId", purpose == "TxDefaultProfile" ? 1 : 0}, {"csChargingProfiles", p}};
            }
            p["id"] = id;
            schedule["id"] = id;
            p["chargingSchedule"] = json::array({schedule});
            return json{{"evseId", purpose == "TxDefaultProfile" ? 1 : 0}, {"chargingProfile", p}};
        };
        const std::string max = v16 ? "ChargePointMaxProfile" : "ChargingStationMaxProfile";
        // A station maximum in watts: 7,590 W on 3 phases at 230 V is 11 A.
        auto absolute = profile(7, max, 7590, "W");
        (v16 ? absolute["csChargingProfiles"] : absolute["chargingProfile"])["chargingProfileKind"] = "Absolute";
        (v16 ? absolute["csChargingProfiles"]["chargingSchedule"] : absolute["chargingProfile"]["chargingSchedule"][0])
            ["startSchedule"] = "2026-01-01T00:00:00Z";
        CHECK(csms_call("SetChargingProfile", absolute) == "Accepted");
        auto bound = fx.next<ocpp::BackendLimitChanged>();
        REQUIRE(bound);
        REQUIRE(bound->limit_a);
        CHECK(*bound->limit_a == doctest::Approx(11.0));
        // A lower default for connector 1 binds under it.
        CHECK(csms_call("SetChargingProfile", profile(8, "TxDefaultProfile", 8, "A")) == "Accepted");
        bound = fx.next<ocpp::BackendLimitChanged>();
        REQUIRE(bound);
        CHECK(bound->limit_a == doctest::Approx(8.0));
        // Cleared by id: the station maximum alone again; then nothing.
        const json clear8 = v16 ? json{{"id", 8}} : json{{"chargingProfileId", 8}};
        CHECK(csms_call("ClearChargingProfile", clear8) == "Accepted");
        bound = fx.next<ocpp::BackendLimitChanged>();
        REQUIRE(bound);
        CHECK(bound->limit_a == doctest::Approx(11.0));
        CHECK(csms_call("ClearChargingProfile", clear8) == "Unknown");
        CHECK(csms_call("ClearChargingProfile", json::object()) == "Accepted");  // all of them
        bound = fx.next<ocpp::BackendLimitChanged>();
        REQUIRE(bound);
        CHECK_FALSE(bound->limit_a);
        // A TxProfile for the whole station makes no sense: refused.
        CHECK(csms_call("SetChargingProfile", profile(9, "TxProfile", 8, "A")) == "Rejected");
        // The station saw only fuseguard's own profiles, and the schemas held.
        for (const auto& f : st.peer.frames("in")) {
            const auto j = json::parse(f);
            if (j[0] == 2 && (j[2] == "SetChargingProfile" || j[2] == "ClearChargingProfile"))
                CHECK(j[1].get<std::string>().rfind("fg-", 0) == 0);
        }
        CHECK(csms.peer.output().find("\"step\":\"schema\"") == std::string::npos);
    }

    TEST_CASE("a CSMS that refuses the connection (401) leaves the station charging under fuseguard") {
        CsmsPeer csms("the-right-one");
        OcppFixture fx({relayed("RELAY3", "a-wrong-one")}, OcppFixture::defaults(), backend_at(csms.port));
        DrivenStation st(fx.port, "RELAY3");
        auto refused = csms.peer.wait_step("refused", {{"identity", "RELAY3"}, {"password", "a-wrong-one"}});
        INFO(csms.peer.output());
        REQUIRE(refused);
        // Answered by fuseguard (interval 60) at once, not after a timeout.
        const auto asked = std::chrono::steady_clock::now();
        auto boot = st.call("BootNotification", boot_params());
        CHECK(boot["result"]["interval"] == 60);
        CHECK(std::chrono::steady_clock::now() - asked < 2s);
        // Load management goes on.
        fx.on_server([](ocpp::Server& s) { s.set_limit("RELAY3", 10); });
        auto answered = fx.wait_for<ocpp::LimitAnswered>([](const auto& a) { return a.limit_a == 10; }, 10s);
        REQUIRE(answered);
        CHECK(answered->accepted);
    }

    TEST_CASE("a CSMS that takes the connection and never answers, or answers late, holds nothing up") {
        // A TCP listener that accepts and then says nothing.
        net::io_context io;
        net::ip::tcp::acceptor silent(io, {net::ip::make_address("127.0.0.1"), 0});
        net::ip::tcp::socket held(io);
        std::thread taker([&] {
            boost::system::error_code ec;
            silent.accept(held, ec);
        });
        OcppFixture fx({relayed("RELAY4", std::nullopt)}, OcppFixture::defaults(), backend_at(silent.local_endpoint().port(), 1));
        DrivenStation st(fx.port, "RELAY4");
        const auto asked = std::chrono::steady_clock::now();
        auto boot = st.call("BootNotification", boot_params());
        CHECK(boot["result"]["interval"] == 60);  // fuseguard's, after answer_timeout_s
        CHECK(std::chrono::steady_clock::now() - asked < 3s);
        taker.join();

        CsmsPeer slow("-", 2500);  // answers after 2.5 s; fuseguard waits 1 s
        OcppFixture fx2({relayed("RELAY5", std::nullopt)}, OcppFixture::defaults(), backend_at(slow.port, 1));
        DrivenStation st2(fx2.port, "RELAY5");
        REQUIRE(slow.peer.wait_step("connected", {{"identity", "RELAY5"}}));
        CHECK(st2.call("BootNotification", boot_params())["result"]["interval"] == 60);
        CHECK(st2.call("Heartbeat", json::object()).value("step", "") == "result");
        // The late answers are not relayed: the station got one answer per call.
        REQUIRE(slow.peer.wait([](const json& j) {
            return j.value("step", "") == "frame" && j.value("dir", "") == "out" &&
                   j["message"].get<std::string>().find("currentTime") != std::string::npos &&
                   j["message"].get<std::string>().find("interval") == std::string::npos;
        }));
        // A CSMS call sent after the late answers, on the same link: once the
        // station has it, fuseguard has read the late answers before it.
        slow.peer.command({{"call", "Reset"}, {"identity", "RELAY5"}, {"params", {{"type", "Soft"}}}});
        REQUIRE(st2.peer.wait_step("handled", {{"method", "Reset"}}));
        int answers = 0;
        for (const auto& f : st2.peer.frames("in")) answers += json::parse(f)[0] == 3 && json::parse(f)[1].get<std::string>().rfind("fg-", 0) != 0;
        CHECK(answers == 2);
        // Only slow, not gone: what it received is not sent to it again.
        int boots = 0;
        for (const auto& f : slow.peer.frames("in")) boots += f.find("BootNotification") != std::string::npos;
        CHECK(boots == 1);
    }

    TEST_CASE("a CSMS that drops the link: the station stays, fuseguard answers, and the link comes back") {
        CsmsPeer csms("-");
        OcppFixture fx({relayed("RELAY6", std::nullopt)}, OcppFixture::defaults(), backend_at(csms.port));
        DrivenStation st(fx.port, "RELAY6");
        REQUIRE(csms.peer.wait_step("connected", {{"identity", "RELAY6"}}));
        CHECK(st.call("BootNotification", boot_params())["result"]["interval"] == 300);
        csms.peer.command({{"close", "RELAY6"}});
        REQUIRE(csms.peer.wait_step("closed", {{"identity", "RELAY6"}}));
        // Until it is back, fuseguard answers (and the station stays connected).
        auto hb = st.call("Heartbeat", json::object());
        CHECK(hb.value("step", "") == "result");
        // It comes back by itself within the backoff (at most 1 s here).
        auto connections = [&] {
            const auto lines = csms.peer.lines();
            return std::count_if(lines.begin(), lines.end(), [](const json& j) {
                return j.value("step", "") == "connected" && j.value("identity", "") == "RELAY6";
            });
        };
        const auto until = std::chrono::steady_clock::now() + 5s;
        while (connections() < 2 && std::chrono::steady_clock::now() < until) csms.peer.wait_step("\x01never", {}, 20ms);
        INFO(csms.peer.output());
        REQUIRE(connections() == 2);
        CHECK(st.call("DataTransfer", {{"vendorId", "v"}, {"data", "again"}})["result"]["data"] == "csms saw again");
        CHECK(st.peer.output().find("\"step\":\"closed\"") == std::string::npos);
    }

    TEST_CASE("bad frames from the CSMS get a CALLERROR and leave the station alone") {
        CsmsPeer csms("-");
        OcppFixture fx({relayed("RELAY7", std::nullopt)}, OcppFixture::defaults(), backend_at(csms.port));
        DrivenStation st(fx.port, "RELAY7");
        REQUIRE(csms.peer.wait_step("connected", {{"identity", "RELAY7"}}));
        st.call("BootNotification", boot_params());
        for (const char* bad : {"not json", "[2,\"x1\"]", "{\"a\":1}", "[2,\"x2\",42,{}]"})
            csms.peer.command({{"raw", "RELAY7"}, {"text", bad}});
        auto error = csms.peer.wait([](const json& j) {
            return j.value("step", "") == "frame" && j.value("dir", "") == "in" &&
                   j["message"].get<std::string>().find("[4,\"x2\"") == 0;
        });
        INFO(csms.peer.output());
        CHECK(error);
        // None of it reached the station, which goes on through fuseguard.
        for (const auto& f : st.peer.frames("in")) CHECK(f.find("x1") == std::string::npos);
        CHECK(st.call("Heartbeat", json::object()).value("step", "") == "result");
        CHECK(st.peer.output().find("\"step\":\"closed\"") == std::string::npos);

        // The link reads a message in 128-byte pieces: a large one still
        // reaches the station whole, and one over 64 KiB ends the link, not
        // the station's connection.
        const std::string big = "[2,\"x3\",\"DataTransfer\",{\"vendorId\":\"com.vendor.x\",\"data\":\"" +
                                std::string(40 * 1024, 'b') + "\"}]";
        csms.peer.command({{"raw", "RELAY7"}, {"text", big}});
        CHECK(st.peer.wait([&](const json& j) {
            return j.value("step", "") == "frame" && j.value("dir", "") == "in" && j["message"] == big;
        }));
        csms.peer.command({{"raw", "RELAY7"}, {"text", "[2,\"x4\",\"DataTransfer\",{\"vendorId\":\"" +
                                                           std::string(70 * 1024, 'v') + "\"}]"}});
        const auto dropped = fx.wait_for<ocpp::BackendLinkChanged>(
            [](const ocpp::BackendLinkChanged& e) { return e.state == "offline"; }, 10s);
        REQUIRE(dropped);
        CHECK(dropped->cause == "the CSMS sent a frame over 64 KiB");
        CHECK(st.call("Heartbeat", json::object()).value("step", "") == "result");
    }
}

TEST_SUITE("OcppAuthorization") {
    TEST_CASE("without a CSMS, authorization: restricts charging to its tags") {
        config::AuthorizationConfig list;
        list.tags = {{"LOCAL1", 0, {}}};
        OcppFixture fx({{"AUTH1", std::nullopt, 6.0, 32.0}}, OcppFixture::defaults(), std::nullopt, list);
        DrivenStation st(fx.port, "AUTH1");
        st.call("BootNotification", boot_params());
        CHECK(st.call("Authorize", {{"idTag", "LOCAL1"}})["result"]["idTagInfo"]["status"] == "Accepted");
        CHECK(st.call("Authorize", {{"idTag", "STRANGER"}})["result"]["idTagInfo"]["status"] == "Invalid");
        auto start = st.call("StartTransaction",
                             {{"connectorId", 1}, {"idTag", "STRANGER"}, {"meterStart", 0}, {"timestamp", "2026-12-06T01:00:00Z"}});
        CHECK(start["result"]["idTagInfo"]["status"] == "Invalid");
    }

    TEST_CASE("with the CSMS away, tags it accepted before charge, listed ones too, others not") {
        CsmsPeer csms("-");
        config::AuthorizationConfig list;
        list.tags = {{"LOCAL1", 0, {}}};
        OcppFixture fx({relayed("AUTH2", std::nullopt)}, OcppFixture::defaults(), backend_at(csms.port, 1), list);
        DrivenStation st(fx.port, "AUTH2");
        REQUIRE(csms.peer.wait_step("connected", {{"identity", "AUTH2"}}));
        st.call("BootNotification", boot_params());
        CHECK(st.call("Authorize", {{"idTag", "TAG1"}})["result"]["idTagInfo"]["status"] == "Accepted");
        CHECK(st.call("Authorize", {{"idTag", "BAD7"}})["result"]["idTagInfo"]["status"] == "Invalid");
        csms.peer.process().signal(SIGKILL);
        REQUIRE(csms.peer.process().wait_exit(5s));
        CHECK(st.call("Authorize", {{"idTag", "TAG1"}})["result"]["idTagInfo"]["status"] == "Accepted");
        CHECK(st.call("Authorize", {{"idTag", "LOCAL1"}})["result"]["idTagInfo"]["status"] == "Accepted");
        CHECK(st.call("Authorize", {{"idTag", "NEVERSEEN"}})["result"]["idTagInfo"]["status"] == "Invalid");
        CHECK(st.call("Authorize", {{"idTag", "BAD7"}})["result"]["idTagInfo"]["status"] == "Invalid");
        auto start = st.call("StartTransaction",
                             {{"connectorId", 1}, {"idTag", "TAG1"}, {"meterStart", 0}, {"timestamp", "2026-12-06T01:00:00Z"}});
        CHECK(start["result"]["idTagInfo"]["status"] == "Accepted");
        auto started = fx.wait_for<ocpp::TransactionChanged>([](const auto& t) { return t.started; });
        REQUIRE(started);
        CHECK(started->id_tag == "TAG1");
    }
}

TEST_SUITE("OcppAuthorizationCache") {
    TEST_CASE("a tag the CSMS accepted until a given time is refused after it while the CSMS is away") {
        CsmsPeer csms("-");
        OcppFixture fx({relayed("EXP1", std::nullopt)}, OcppFixture::defaults(), backend_at(csms.port, 1));
        DrivenStation st(fx.port, "EXP1");
        REQUIRE(csms.peer.wait_step("connected", {{"identity", "EXP1"}}));
        st.call("BootNotification", boot_params());
        auto first = st.call("Authorize", {{"idTag", "SHORT1"}})["result"]["idTagInfo"];
        REQUIRE(first["status"] == "Accepted");
        REQUIRE(first.contains("expiryDate"));  // two seconds from the CSMS's now
        CHECK(st.call("Authorize", {{"idTag", "TAG1"}})["result"]["idTagInfo"]["status"] == "Accepted");
        csms.peer.process().signal(SIGKILL);
        REQUIRE(csms.peer.process().wait_exit(5s));
        // fuseguard answers now: SHORT1 until its expiry, TAG1 (no expiry) on.
        const auto expires = *parse_iso8601(first["expiryDate"].get<std::string>());
        std::string status = "Accepted";
        while (status == "Accepted" && std::chrono::system_clock::now() < expires + 5s) {
            const auto asked = std::chrono::system_clock::now();
            status = st.call("Authorize", {{"idTag", "SHORT1"}})["result"]["idTagInfo"]["status"];
            if (asked + 100ms < expires) REQUIRE(status == "Accepted");
        }
        CHECK(status == "Invalid");
        CHECK(std::chrono::system_clock::now() >= expires);
        CHECK(st.call("Authorize", {{"idTag", "TAG1"}})["result"]["idTagInfo"]["status"] == "Accepted");
    }
}
