// Our reader against a real libmodbus server in this process.
#include <doctest/doctest.h>

#include <cmath>

#include "device_config.hpp"
#include "drivers/modbus/device_reader.hpp"
#include "test_server.hpp"

using namespace fuseguard;
using namespace fuseguard::modbus;
using namespace std::chrono_literals;

namespace {
void load_sdm630(test::TestModbusServer& s, float l1 = 12.5f, float l2 = 7.25f, float l3 = 30.0f) {
    const float v[] = {230.1f, 229.8f, 231.4f}, a[] = {l1, l2, l3}, p[] = {2876, 1666, 6942};
    for (std::uint16_t i = 0; i < 3; ++i) {
        s.set_float(true, static_cast<std::uint16_t>(0x00 + 2 * i), v[i]);
        s.set_float(true, static_cast<std::uint16_t>(0x06 + 2 * i), a[i]);
        s.set_float(true, static_cast<std::uint16_t>(0x0C + 2 * i), p[i]);
    }
}

config::PolledDevice sdm630(std::uint16_t port, int unit = 1, double timeout = 0.5) {
    auto d = test::tcp_device("grid", port, unit, timeout);
    d.profile = "eastron-sdm630";
    return d;
}
}  // namespace

TEST_SUITE("DeviceReader") {
    TEST_CASE("Eastron SDM630: currents / voltages and powers decode exactly") {
        test::TestModbusServer server;
        load_sdm630(server);
        const auto dev = sdm630(server.port());
        Client client(dev.modbus);
        DeviceReader reader(DeviceKind::Meter, dev, 2500);
        auto out = reader.read(client);
        REQUIRE_MESSAGE(out.reading, out.error);
        CHECK(out.reading->current_a == std::array<double, 3>{12.5, 7.25, 30.0});
        CHECK((*out.reading->voltage_v)[0] == doctest::Approx(230.1));
        CHECK((*out.reading->power_w)[2] == doctest::Approx(6942));
        CHECK(server.requests() == 1);  // one batched request
    }

    TEST_CASE("ABB B23: unsigned 32-bit registers scaled to 0.01 A") {
        test::TestModbusServer server;
        server.set_holding(0x5B00, {0, 2301, 0, 2298, 0, 2314});        // 0.1 V
        server.set_holding(0x5B0C, {0, 1250, 0, 725, 0x0001, 0x0000});  // 0.01 A: 12.5, 7.25, 655.36
        server.set_holding(0x5B16, {0xFFFF, 0xFF38, 0, 100, 0, 0});     // 0.01 W: -2, 1, 0
        auto dev = test::tcp_device("abb", server.port());
        dev.profile = "abb-b23";
        Client client(dev.modbus);
        auto out = DeviceReader(DeviceKind::Meter, dev, 2500).read(client);
        REQUIRE_MESSAGE(out.reading, out.error);
        CHECK(out.reading->current_a[0] == doctest::Approx(12.5));
        CHECK(out.reading->current_a[2] == doctest::Approx(655.36));
        CHECK((*out.reading->voltage_v)[1] == doctest::Approx(229.8));
        CHECK((*out.reading->power_w)[0] == doctest::Approx(-2.0));
    }

    TEST_CASE("SunSpec: the meter model is found after the common model") {
        test::TestModbusServer server;
        server.set_holding(40000, {0x5375, 0x6E53});  // "SunS"
        server.set_holding(40002, {1, 66});           // common model, 66 registers
        const std::uint16_t m = 40002 + 2 + 66;
        server.set_holding(m, {203, 105});
        server.set_holding(m + 2, {0, 1234, 567, 890, 0xFFFE});  // A, AphA..C, A_SF = -2
        server.set_holding(m + 7, {0, 2301, 2302, 2303, 0, 0, 0, 0, 0xFFFF});
        server.set_holding(m + 18, {0, 100, 200, 300, 1});  // W, WphA..C, W_SF = 1
        server.set_holding(m + 2 + 105, {0xFFFF, 0});
        auto dev = test::tcp_device("sunspec", server.port());
        dev.profile = "sunspec";
        Client client(dev.modbus);
        DeviceReader reader(DeviceKind::Meter, dev, 2500);
        auto out = reader.read(client);
        REQUIRE_MESSAGE(out.reading, out.error);
        CHECK(out.reading->current_a[0] == doctest::Approx(12.34));
        CHECK(out.reading->current_a[2] == doctest::Approx(8.90));
        CHECK((*out.reading->power_w)[1] == doctest::Approx(2000));
        // Found once: the next reading is one batched request per block.
        const int before = server.requests();
        REQUIRE(reader.read(client).reading);
        CHECK(server.requests() - before <= 2);
    }

    TEST_CASE("a device without the SunSpec marker says so") {
        test::TestModbusServer server;
        auto dev = test::tcp_device("sunspec", server.port());
        dev.profile = "sunspec";
        Client client(dev.modbus);
        auto out = DeviceReader(DeviceKind::Meter, dev, 2500).read(client);
        CHECK_FALSE(out.reading);
        CHECK(out.error.find("no SunSpec marker") != std::string::npos);
    }

    TEST_CASE("an EMS map: per-phase uint16 at 0.1 A") {
        test::TestModbusServer server;
        server.set_holding(100, {250, 0, 1000});
        auto dev = test::tcp_device("ems", server.port());
        dev.registers["reserved_current_a"] = test::per_phase(100, config::RegisterType::Uint16, 0.1);
        Client client(dev.modbus);
        auto out = DeviceReader(DeviceKind::Ems, dev, 2500).read(client);
        REQUIRE_MESSAGE(out.reading, out.error);
        CHECK(out.reading->current_a[0] == doctest::Approx(25.0));
        CHECK(out.reading->current_a[2] == doctest::Approx(100.0));
    }

    TEST_CASE("a Modbus exception is not a good reading and names its code") {
        test::TestModbusServer server;
        load_sdm630(server);
        server.fail_address(8, 2);
        const auto dev = sdm630(server.port());
        Client client(dev.modbus);
        auto out = DeviceReader(DeviceKind::Meter, dev, 2500).read(client);
        CHECK_FALSE(out.reading);
        CHECK(out.error.find("Modbus exception 2") != std::string::npos);
        server.fail_address(8, 0);
        CHECK(DeviceReader(DeviceKind::Meter, dev, 2500).read(client).reading);  // same connection still usable
    }

    TEST_CASE("NaN and values outside physical bounds are not good readings") {
        test::TestModbusServer server;
        load_sdm630(server, 12.5f, std::nanf(""), 30.0f);
        const auto dev = sdm630(server.port());
        Client client(dev.modbus);
        auto out = DeviceReader(DeviceKind::Meter, dev, 2500).read(client);
        CHECK_FALSE(out.reading);
        CHECK(out.error.find("NaN") != std::string::npos);
        load_sdm630(server, 12.5f, 9000.0f, 30.0f);
        out = DeviceReader(DeviceKind::Meter, dev, 2500).read(client);
        CHECK_FALSE(out.reading);
        CHECK(out.error.find("outside physical bounds") != std::string::npos);
    }

    TEST_CASE("a negative EMS reservation is refused") {
        test::TestModbusServer server;
        server.set_holding(100, {0xFFF6, 0, 0});  // -10 as int16
        auto dev = test::tcp_device("ems", server.port());
        dev.registers["reserved_current_a"] = test::per_phase(100, config::RegisterType::Int16);
        Client client(dev.modbus);
        auto out = DeviceReader(DeviceKind::Ems, dev, 2500).read(client);
        CHECK_FALSE(out.reading);
        CHECK(out.error.find("outside physical bounds") != std::string::npos);
    }

    TEST_CASE("a slow answer beyond the timeout and a silent unit are timeouts") {
        test::TestModbusServer server;
        load_sdm630(server);
        server.set_delay(400ms);
        const auto dev = sdm630(server.port(), 1, 0.15);
        Client client(dev.modbus);
        const auto t0 = std::chrono::steady_clock::now();
        auto out = DeviceReader(DeviceKind::Meter, dev, 2500).read(client);
        CHECK_FALSE(out.reading);
        CHECK(out.error.find("timeout") != std::string::npos);
        CHECK(std::chrono::steady_clock::now() - t0 < 2s);  // costs its own timeout, not more
        server.set_delay(0ms);
        server.answer_units({1});
        const auto other = sdm630(server.port(), 7, 0.15);
        Client c2(other.modbus);
        out = DeviceReader(DeviceKind::Meter, other, 2500).read(c2);
        CHECK(out.error.find("timeout") != std::string::npos);
    }

    TEST_CASE("nothing listening: a clear connect error") {
        std::uint16_t port;
        {
            test::TestModbusServer server;
            port = server.port();
        }
        const auto dev = sdm630(port);
        Client client(dev.modbus);
        auto out = DeviceReader(DeviceKind::Meter, dev, 2500).read(client);
        CHECK_FALSE(out.reading);
        CHECK(out.error.find("cannot connect to 127.0.0.1:" + std::to_string(port)) != std::string::npos);
    }
}
