// `fuseguard --probe`: the real binary against a real server.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "common/child_process.hpp"
#include "test_server.hpp"

using namespace fuseguard;
using namespace std::chrono_literals;

namespace {
std::string write_config(const std::filesystem::path& dir, std::uint16_t port) {
    const auto path = (dir / "site.yaml").string();
    std::ofstream(path) << "site: { id: probe, fuse_limit_a: 100 }\n"
                           "meters:\n"
                           "  - id: grid\n"
                           "    measures: total\n"
                           "    modbus: { host: 127.0.0.1, port: " << port << ", timeout_s: 0.3 }\n"
                           "    profile: eastron-sdm630\n"
                           "    fallback_a: 50\n"
                           "ems:\n"
                           "  - id: ems\n"
                           "    modbus: { host: 127.0.0.1, port: " << port << ", unit_id: 1, timeout_s: 0.3 }\n"
                           "    registers:\n"
                           "      reserved_current_a: { address: 100, type: uint16, scale: 0.1, per_phase: true }\n"
                           "    fallback_a: 100\n";
    return path;
}
}  // namespace

TEST_SUITE("Probe") {
    TEST_CASE("a good meter prints its values with units and exits 0") {
        test::TestModbusServer server;
        server.set_float(true, 6, 12.5f);
        server.set_float(true, 8, 7.25f);
        server.set_float(true, 10, 30.0f);
        char tmpl[] = "/tmp/fuseguard-probe-XXXXXX";
        const std::filesystem::path dir = ::mkdtemp(tmpl);
        const auto cfg = write_config(dir, server.port());
        const auto ran_code = test::run({FUSEGUARD_BINARY, "--config", cfg, "--probe", "meter:grid", "--verbose"});
        // Named, not a structured binding: clang 14 cannot capture one in INFO's lambda.
        const auto& code = ran_code.first;
        const auto& out = ran_code.second;
        INFO(out);
        CHECK(code == 0);
        CHECK(out.find("current_a:  L1 12.50 A  L2 7.25 A  L3 30.00 A") != std::string::npos);
        CHECK(out.find("input   register     6 = 0x4148") != std::string::npos);
        CHECK(out.find("meter:grid: good reading") != std::string::npos);

        server.set_holding(100, {250, 0, 10});
        const auto ran_ecode = test::run({FUSEGUARD_BINARY, "--config", cfg, "--probe", "ems:ems"});
        const auto& ecode = ran_ecode.first;
        const auto& eout = ran_ecode.second;
        CHECK(ecode == 0);
        CHECK(eout.find("reserved_current_a:  L1 25.00 A  L2 0.00 A  L3 1.00 A") != std::string::npos);
        std::filesystem::remove_all(dir);
    }

    TEST_CASE("an exception / a dead device and an unknown name exit non-zero with the cause") {
        test::TestModbusServer server;
        server.fail_address(6, 2);
        char tmpl[] = "/tmp/fuseguard-probe-XXXXXX";
        const std::filesystem::path dir = ::mkdtemp(tmpl);
        const auto cfg = write_config(dir, server.port());
        const auto ran_code = test::run({FUSEGUARD_BINARY, "--config", cfg, "--probe", "meter:grid"});
        const auto& code = ran_code.first;
        const auto& out = ran_code.second;
        CHECK(code == 1);
        CHECK(out.find("not a good reading: Modbus exception 2 (Illegal data address)") != std::string::npos);
        server.stop();
        const auto ran_dcode = test::run({FUSEGUARD_BINARY, "--config", cfg, "--probe", "meter:grid"});
        const auto& dcode = ran_dcode.first;
        const auto& dout = ran_dcode.second;
        CHECK(dcode == 1);
        CHECK(dout.find("cannot connect to 127.0.0.1:" + std::to_string(server.port())) != std::string::npos);
        const auto ran_ucode = test::run({FUSEGUARD_BINARY, "--config", cfg, "--probe", "meter:nope"});
        const auto& ucode = ran_ucode.first;
        const auto& uout = ran_ucode.second;
        CHECK(ucode == 2);
        CHECK(uout.find("no device 'meter:nope'") != std::string::npos);
        std::filesystem::remove_all(dir);
    }
}
