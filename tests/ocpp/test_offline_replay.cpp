// What the CSMS missed while it was away (offline_queue.cpp,
// charger_replay.cpp): kept, then replayed in order once it is back; with
// ocpp-rpc stations and an ocpp-rpc CSMS in strict mode.
#include <csignal>
#include <filesystem>

#include "common/temp_dir.hpp"
#include "drivers/ocpp/offline_queue.hpp"
#include "relay_fixture.hpp"

using namespace fuseguard;
using namespace fuseguard::test;
using namespace std::chrono_literals;
using nlohmann::json;

TEST_SUITE("OcppOfflineReplay") {
    TEST_CASE("a CSMS outage in the middle of a transaction: charging goes on, the CSMS gets it all in order later") {
        auto csms = std::make_unique<CsmsPeer>("-");
        const auto port = csms->port;
        OcppFixture fx({relayed("OUT1", std::nullopt)}, OcppFixture::defaults(), backend_at(port, 1));
        DrivenStation st(fx.port, "OUT1");
        REQUIRE(csms->peer.wait_step("connected", {{"identity", "OUT1"}}));
        CHECK(st.call("BootNotification", boot_params())["result"]["interval"] == 300);
        auto first = st.call("StartTransaction", {{"connectorId", 1}, {"idTag", "TAG1"}, {"meterStart", 0},
                                                  {"timestamp", "2026-12-06T01:00:00Z"}});
        REQUIRE(first["result"]["transactionId"] == 4242);

        csms->peer.process().signal(SIGKILL);
        REQUIRE(csms->peer.process().wait_exit(5s));
        csms.reset();
        auto meter = [](int tx, const char* at, const char* amps) {
            return json{{"connectorId", 1},
                        {"transactionId", tx},
                        {"meterValue",
                         {{{"timestamp", at},
                           {"sampledValue", {{{"value", amps}, {"measurand", "Current.Import"}, {"phase", "L1"}, {"unit", "A"}}}}}}}};
        };
        // Answered by fuseguard, the car charging on.
        CHECK(st.call("MeterValues", meter(4242, "2026-12-06T01:05:00Z", "16.0")).value("step", "") == "result");
        CHECK(st.call("StopTransaction", {{"transactionId", 4242}, {"meterStop", 5000}, {"timestamp", "2026-12-06T01:10:00Z"}})
                  .value("step", "") == "result");
        auto second = st.call("StartTransaction", {{"connectorId", 1}, {"idTag", "TAG1"}, {"meterStart", 5000},
                                                   {"timestamp", "2026-12-06T01:20:00Z"}});
        REQUIRE(second["result"]["idTagInfo"]["status"] == "Accepted");  // the CSMS accepted TAG1 before
        const int local = second["result"]["transactionId"].get<int>();
        CHECK(local != 4242);
        CHECK(st.call("MeterValues", meter(local, "2026-12-06T01:25:00Z", "10.0")).value("step", "") == "result");
        CHECK(st.call("StatusNotification", {{"connectorId", 1}, {"errorCode", "NoError"}, {"status", "Charging"}})
                  .value("step", "") == "result");

        // The CSMS comes back on the same port, giving ids from 5000.
        CsmsPeer back("-", 0, port, 5000);
        REQUIRE(back.peer.wait_step("connected", {{"identity", "OUT1"}}, 10s));
        auto replayed_status = back.peer.wait([](const json& j) {
            return j.value("step", "") == "frame" && j.value("dir", "") == "in" &&
                   j["message"].get<std::string>().find("StatusNotification") != std::string::npos;
        });
        INFO(back.peer.output());
        REQUIRE(replayed_status);
        std::vector<json> calls;
        for (const auto& f : back.peer.frames("in")) calls.push_back(json::parse(f));
        REQUIRE(calls.size() == 6);
        CHECK(calls[0][2] == "BootNotification");
        CHECK(calls[1][2] == "MeterValues");
        CHECK(calls[1][3]["transactionId"] == 4242);
        CHECK(calls[1][3]["meterValue"][0]["timestamp"] == "2026-12-06T01:05:00Z");  // the station's own time
        CHECK(calls[2][2] == "StopTransaction");
        CHECK(calls[2][3]["timestamp"] == "2026-12-06T01:10:00Z");
        CHECK(calls[3][2] == "StartTransaction");
        CHECK(calls[3][3]["timestamp"] == "2026-12-06T01:20:00Z");
        CHECK(calls[4][2] == "MeterValues");
        CHECK(calls[4][3]["transactionId"] == 5000);  // fuseguard's id, mapped to the CSMS's
        CHECK(calls[5][2] == "StatusNotification");
        for (const auto& c : calls) CHECK(c[1].get<std::string>().rfind("fg-", 0) == 0);

        // From now on the station's frames go through, its transaction under the CSMS's id.
        auto live = st.call("MeterValues", meter(local, "2026-12-06T01:30:00Z", "9.0"));
        CHECK(live.value("step", "") == "result");
        auto relayed = back.peer.wait([](const json& j) {
            return j.value("step", "") == "frame" && j.value("dir", "") == "in" &&
                   j["message"].get<std::string>().find("01:30:00Z") != std::string::npos;
        });
        REQUIRE(relayed);
        CHECK(json::parse((*relayed)["message"].get<std::string>())[3]["transactionId"] == 5000);
        CHECK(back.peer.output().find("\"step\":\"schema\"") == std::string::npos);
        CHECK(st.peer.output().find("\"step\":\"closed\"") == std::string::npos);
    }

    TEST_CASE("a message in flight when the link drops is kept and sent again; one the CSMS is only slow with is not") {
        auto csms = std::make_unique<CsmsPeer>("-", 2500);  // slow: answers after 2.5 s
        const auto port = csms->port;
        OcppFixture fx({relayed("OUT2", std::nullopt)}, OcppFixture::defaults(), backend_at(port, 5));
        DrivenStation st(fx.port, "OUT2");
        REQUIRE(csms->peer.wait_step("connected", {{"identity", "OUT2"}}));
        CHECK(st.call("BootNotification", boot_params())["result"]["interval"] == 300);
        const json stop = {{"transactionId", 77}, {"meterStop", 900}, {"timestamp", "2026-12-06T02:10:00Z"}};
        st.peer.command({{"call", "StopTransaction"}, {"params", stop}});
        // The CSMS has it, then goes before answering.
        REQUIRE(csms->peer.wait([](const json& j) {
            return j.value("step", "") == "frame" && j.value("dir", "") == "in" &&
                   j["message"].get<std::string>().find("StopTransaction") != std::string::npos;
        }));
        csms->peer.process().signal(SIGKILL);
        REQUIRE(csms->peer.process().wait_exit(5s));
        csms.reset();
        REQUIRE(st.peer.wait_step("result", {{"method", "StopTransaction"}}));  // fuseguard answered
        CsmsPeer back("-", 2500, port);  // slow again: the replayed message waits for its answer
        auto again = back.peer.wait([](const json& j) {
            return j.value("step", "") == "frame" && j.value("dir", "") == "in" &&
                   j["message"].get<std::string>().find("StopTransaction") != std::string::npos;
        });
        INFO(back.peer.output());
        REQUIRE(again);
        CHECK(json::parse((*again)["message"].get<std::string>())[3]["timestamp"] == "2026-12-06T02:10:00Z");

        // The station goes while the CSMS still owes that answer: its session
        // must be freed all the same. The answer's callback held it (found by
        // fuzz_ocpp_backend); the sanitizer pass's leak check sees it at exit.
        st.peer.process().signal(SIGKILL);
        REQUIRE(st.peer.process().wait_exit(5s));
        CHECK(back.peer.wait_step("closed", {{"identity", "OUT2"}}, 5s));
    }

    TEST_CASE("2.0.1: events the CSMS missed come flagged offline, in order, with the station's seqNo and time") {
        auto csms = std::make_unique<CsmsPeer>("-");
        const auto port = csms->port;
        OcppFixture fx({relayed("OUT3", std::nullopt)}, OcppFixture::defaults(), backend_at(port, 1));
        DrivenStation st(fx.port, "OUT3", "ocpp2.0.1");
        REQUIRE(csms->peer.wait_step("connected", {{"identity", "OUT3"}}));
        st.call("BootNotification", {{"reason", "PowerUp"}, {"chargingStation", {{"model", "Strict"}, {"vendorName", "Relay"}}}});
        csms->peer.process().signal(SIGKILL);
        REQUIRE(csms->peer.process().wait_exit(5s));
        csms.reset();
        auto event = [](const char* type, int seq, const char* at) {
            return json{{"eventType", type},
                        {"timestamp", at},
                        {"triggerReason", type == std::string("Started") ? "CablePluggedIn" : "MeterValuePeriodic"},
                        {"seqNo", seq},
                        {"transactionInfo", {{"transactionId", "tx-9"}}},
                        {"evse", {{"id", 1}, {"connectorId", 1}}}};
        };
        CHECK(st.call("TransactionEvent", event("Started", 0, "2026-12-06T02:30:00Z")).value("step", "") == "result");
        CHECK(st.call("TransactionEvent", event("Updated", 1, "2026-12-06T02:31:00Z")).value("step", "") == "result");
        CsmsPeer back("-", 0, port);
        auto last = back.peer.wait([](const json& j) {
            return j.value("step", "") == "frame" && j.value("dir", "") == "in" &&
                   j["message"].get<std::string>().find("Updated") != std::string::npos;
        });
        INFO(back.peer.output());
        REQUIRE(last);
        std::vector<json> calls;
        for (const auto& f : back.peer.frames("in")) calls.push_back(json::parse(f));
        REQUIRE(calls.size() == 3);
        CHECK(calls[0][2] == "BootNotification");
        CHECK(calls[1][3]["eventType"] == "Started");
        CHECK(calls[1][3]["offline"] == true);
        CHECK(calls[1][3]["seqNo"] == 0);
        CHECK(calls[1][3]["timestamp"] == "2026-12-06T02:30:00Z");
        CHECK(calls[2][3]["eventType"] == "Updated");
        CHECK(calls[2][3]["seqNo"] == 1);
        CHECK(back.peer.output().find("\"step\":\"schema\"") == std::string::npos);
    }
}

// The queue on disk (offline_queue.cpp, drivers/sqlite_state.cpp): a damaged
// file never stops the relay; it is kept aside, since what the CSMS missed
// may still be read from it by hand, and a fresh queue starts (issue 17).
TEST_SUITE("OcppOfflineReplay") {
    TEST_CASE("a damaged offline queue is kept aside and a fresh one keeps what comes next across a restart") {
        TempDir dir;
        const auto db = (dir.path / "backend_queue.sqlite").string();
        dir.write("backend_queue.sqlite", std::string(8192, '\x5a'));
        const json meter = {{"connectorId", 1}, {"meterValue", json::array()}};
        {
            ocpp::OfflineQueue q(db);
            q.push("CP1", "MeterValues", meter, 100);
            CHECK(q.depth("CP1") == 1);
        }
        const auto aside = files_starting_with(dir.path, "backend_queue.sqlite.broken-");
        REQUIRE(aside.size() == 1);
        CHECK(std::filesystem::file_size(aside[0]) == 8192);
        ocpp::OfflineQueue reopened(db);
        REQUIRE(reopened.depth("CP1") == 1);
        CHECK(reopened.front("CP1")->action == "MeterValues");
    }
}
