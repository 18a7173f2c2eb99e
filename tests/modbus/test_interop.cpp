// Against implementations nobody here wrote: our reader against a pymodbus
// server, and Debian's mbpoll against the test server the other tests use.
#include <doctest/doctest.h>

#include "common/child_process.hpp"
#include "device_config.hpp"
#include "drivers/modbus/device_reader.hpp"
#include "test_server.hpp"

using namespace fuseguard;
using namespace fuseguard::modbus;
using namespace std::chrono_literals;

TEST_SUITE("Interop") {
    TEST_CASE("our SDM630 reader against a pymodbus server") {
        test::ChildProcess py({"/usr/bin/python3", FUSEGUARD_SOURCE_DIR "/tests/modbus/pymodbus_server.py"});
        REQUIRE_MESSAGE(py.wait_for("\n", 15s), py.output());
        const int port = std::stoi(py.output());
        auto dev = test::tcp_device("grid", static_cast<std::uint16_t>(port), 1, 1.0);
        dev.profile = "eastron-sdm630";
        Client client(dev.modbus);
        auto out = DeviceReader(DeviceKind::Meter, dev, 2500).read(client);
        REQUIRE_MESSAGE(out.reading, out.error);
        CHECK(out.reading->current_a == std::array<double, 3>{12.5, 7.25, 30.0});
        CHECK((*out.reading->voltage_v)[0] == doctest::Approx(230.1));
        CHECK((*out.reading->power_w)[2] == doctest::Approx(6942.0));
    }

    TEST_CASE("mbpoll reads the test server's SDM630 map") {
        test::TestModbusServer server;
        server.set_float(true, 6, 12.5f);
        server.set_float(true, 8, 7.25f);
        server.set_float(true, 10, 30.0f);
        // mbpoll counts references from 1: reference 7 is register 6.
        const auto ran_code = test::run({"/usr/bin/mbpoll", "-m", "tcp", "-p", std::to_string(server.port()), "-a", "1",
                                      "-t", "3:float", "-B", "-r", "7", "-c", "3", "-1", "127.0.0.1"},
                                     10s);
        // Named, not a structured binding: clang 14 cannot capture one in INFO's lambda.
        const auto& code = ran_code.first;
        const auto& out = ran_code.second;
        INFO(out);
        CHECK(code == 0);
        CHECK(out.find("[7]: \t12.5") != std::string::npos);
        CHECK(out.find("[9]: \t7.25") != std::string::npos);
        CHECK(out.find("[11]: \t30") != std::string::npos);
    }
}
