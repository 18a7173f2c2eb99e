// Stations nobody here wrote: npm's ocpp-rpc in strict mode validates every
// frame we send against the official OCPP 1.6 and 2.0.1 JSON schemas.
#include <doctest/doctest.h>

#include <future>

#include "common/child_process.hpp"
#include "common/ocpp_rpc.hpp"
#include "ocpp_fixture.hpp"

using namespace fuseguard;
using namespace fuseguard::test;
using namespace std::chrono_literals;

namespace {
void run_station(const std::string& protocol, config::ProfilePurpose purpose) {
    auto cfg = OcppFixture::defaults();
    cfg.profile_purpose = purpose;
    // With a fallback: the failsafe layers go out too, schema-checked as well.
    OcppFixture fx({{"STRICT1", std::nullopt, 6.0, 32.0}}, cfg);
    ChildProcess node(ocpp_rpc_command("station.mjs", {std::to_string(fx.port), "STRICT1", protocol}));
    const bool ready = node.wait_for("\"step\":\"ready\"", 20s);
    INFO(node.output());
    REQUIRE(ready);
    CHECK(node.output().find("\"status\":\"Accepted\",\"interval\":60") != std::string::npos);
    REQUIRE(fx.next<ocpp::StationBooted>());
    auto status = fx.next<ocpp::ConnectorStatusChanged>();
    REQUIRE(status);
    auto draw = fx.next<ocpp::DrawMeasured>();
    REQUIRE(draw);
    auto started = fx.next<ocpp::TransactionChanged>();
    REQUIRE(started);
    CHECK(started->started);
    auto security = fx.next<ocpp::SecurityEventReported>();
    REQUIRE(security);
    if (protocol == "ocpp1.6") {
        CHECK(status->error_code == "GroundFailure");
        CHECK(draw->current_a[0] == doctest::Approx(12.5));
        auto stopped = fx.next<ocpp::TransactionChanged>();
        REQUIRE(stopped);
        CHECK_FALSE(stopped->started);
        CHECK(stopped->reason == "EVDisconnected");
        CHECK(security->type == "TamperDetectionActivated");
    } else {
        CHECK(status->status == "Occupied");
        CHECK(draw->current_a[2] == doctest::Approx(13.5));
        CHECK(started->transaction_id == "tx-1");
        auto problem = fx.next<ocpp::ProblemReported>();
        REQUIRE(problem);
        CHECK(problem->tech_code == "CX014");
        CHECK(problem->evse == 1);
        CHECK_FALSE(problem->cleared);
        CHECK(security->type == "FirmwareUpdated");
    }
    // Configured on boot: heartbeat, ping, Current.Import sampling.
    CHECK(node.wait_for("\"key\":\"HeartbeatInterval\",\"value\":\"60\"", 5s));
    CHECK(node.wait_for("Current.Import\"}", 5s));
    // Added to what it sampled, the energy register kept (SPEC 5).
    CHECK(node.output().find("\"step\":\"get-config\"") != std::string::npos);
    CHECK(node.output().find("\"value\":\"Energy.Active.Import.Register,Voltage,Current.Import\"") != std::string::npos);
    // An operator's reset, schema-checked by the station.
    std::promise<std::string> reset;
    fx.on_server([&reset](ocpp::Server& s) {
        s.command("STRICT1", ocpp::outbound::reset_request, [&reset](const std::string& st) { reset.set_value(st); });
    });
    auto reset_status = reset.get_future();
    REQUIRE(reset_status.wait_for(10s) == std::future_status::ready);
    CHECK(reset_status.get() == "Accepted");
    fx.on_server([](ocpp::Server& s) { s.set_limit("STRICT1", 13.37); });
    auto answer = fx.next<ocpp::LimitAnswered>(10s);
    REQUIRE(answer);
    CHECK(answer->accepted);
    CHECK(node.wait_exit(10s) == 0);
    const bool max = purpose == config::ProfilePurpose::ChargePointMaxProfile;
    // A station maximum carries the limit; a TxDefaultProfile above the
    // fallback layer no more than the fallback, and the running transaction's
    // profile the limit (2.0.1: its transaction still runs).
    CHECK(node.output().find(max ? "\"step\":\"limit\",\"limit\":13.3" : "\"step\":\"limit\",\"limit\":6") != std::string::npos);
    if (!max && protocol != "ocpp1.6")
        CHECK(node.output().find("\"limit\":13.3,\"purpose\":\"TxProfile\"") != std::string::npos);
    // What EVerest's libocpp would accept too: a station maximum is never Relative.
    CHECK(node.output().find(max ? "Profile\",\"kind\":\"Absolute\"" : "\"TxDefaultProfile\",\"kind\":\"Relative\"") !=
          std::string::npos);
    // The fallback layer, and (2.0.1) the transaction's profile with its step.
    CHECK(node.output().find("{\"step\":\"profile\",\"limit\":6,\"purpose\":\"TxDefaultProfile\",\"kind\":\"Relative\",\"periods\":1}") !=
          std::string::npos);
    if (protocol != "ocpp1.6")
        CHECK(node.output().find("\"purpose\":\"TxProfile\",\"kind\":\"Relative\",\"periods\":2") != std::string::npos);
    // Its composite schedule asked for, schema-checked both ways: the
    // fallback throughout is within what the failsafe needs.
    CHECK(node.output().find("{\"step\":\"composite\"") != std::string::npos);
    const auto checked = fx.next<ocpp::FailsafeChecked>(5s);
    REQUIRE(checked);
    CHECK(checked->verdict == ocpp::FailsafeVerdict::Verified);
    CHECK(node.output().find("failed") == std::string::npos);
}
}  // namespace

TEST_SUITE("OcppInterop") {
    // The limit goes out with either purpose an installer may choose.
    TEST_CASE("ocpp-rpc strict mode: an OCPP 1.6 station") {
        SUBCASE("ChargePointMaxProfile") { run_station("ocpp1.6", config::ProfilePurpose::ChargePointMaxProfile); }
        SUBCASE("TxDefaultProfile") { run_station("ocpp1.6", config::ProfilePurpose::TxDefaultProfile); }
    }
    TEST_CASE("ocpp-rpc strict mode: an OCPP 2.0.1 station") {
        SUBCASE("ChargingStationMaxProfile") { run_station("ocpp2.0.1", config::ProfilePurpose::ChargePointMaxProfile); }
        SUBCASE("TxDefaultProfile") { run_station("ocpp2.0.1", config::ProfilePurpose::TxDefaultProfile); }
    }
}
