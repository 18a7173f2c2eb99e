// Register maps and decoding, without a device.
#include <doctest/doctest.h>

#include <bit>
#include <cmath>

#include "drivers/modbus/register_map.hpp"
#include "device_config.hpp"

using namespace fuseguard;
using namespace fuseguard::modbus;

namespace {
std::vector<std::uint16_t> float_words(float f, bool high_first = true) {
    const auto b = std::bit_cast<std::uint32_t>(f);
    const auto hi = static_cast<std::uint16_t>(b >> 16), lo = static_cast<std::uint16_t>(b);
    return high_first ? std::vector<std::uint16_t>{hi, lo} : std::vector<std::uint16_t>{lo, hi};
}
}  // namespace

TEST_SUITE("RegisterMap") {
    TEST_CASE("the SDM630 profile is read in one request") {
        auto m = builtin_profile("eastron-sdm630");
        REQUIRE(m);
        auto blocks = plan_reads(*m);
        REQUIRE(blocks.size() == 1);
        CHECK(blocks[0].function == RegisterFunction::Input);
        CHECK(blocks[0].start == 0);
        CHECK(blocks[0].count == 18);
    }

    TEST_CASE("distant registers and different functions get separate requests") {
        std::map<std::string, config::RegisterConfig> regs;
        regs["current_a"] = test::per_phase(100, RegisterType::Uint16);
        regs["voltage_v"] = test::per_phase(400, RegisterType::Uint16);
        regs["power_w"] = test::per_phase(100, RegisterType::Uint16, 1, RegisterFunction::Input);
        auto blocks = plan_reads(from_config(regs));
        REQUIRE(blocks.size() == 3);
        CHECK(blocks[0].start == 100);
        CHECK(blocks[0].count == 3);
        CHECK(blocks[1].start == 400);
        CHECK(blocks[2].function == RegisterFunction::Input);
    }

    TEST_CASE("no request is longer than 125 registers") {
        std::map<std::string, config::RegisterConfig> regs;
        config::RegisterConfig r;
        r.addresses = {0, 100, 200};
        r.per_phase = true;
        regs["current_a"] = r;
        for (const auto& b : plan_reads(from_config(regs), 200)) CHECK(b.count <= 125);
    }

    TEST_CASE("floats decode in both word orders - int32 and scales too") {
        std::map<std::string, config::RegisterConfig> regs;
        regs["current_a"] = test::per_phase(0, RegisterType::Float32);
        regs["current_a"].word_order = WordOrder::LowFirst;
        regs["power_w"] = test::per_phase(10, RegisterType::Int32, 0.01);
        regs["voltage_v"] = test::per_phase(20, RegisterType::Uint16, 0.1);
        regs["voltage_v"].invert = true;
        RawRegisters raw;
        raw.store(RegisterFunction::Holding, 0, float_words(12.5f, false));
        raw.store(RegisterFunction::Holding, 2, float_words(-1.25f, false));
        raw.store(RegisterFunction::Holding, 4, float_words(0.0f, false));
        raw.store(RegisterFunction::Holding, 10, {0xFFFF, 0xFF38, 0x0000, 0x0064, 0x0001, 0x0000});  // -200, 100, 65536
        raw.store(RegisterFunction::Holding, 20, {2301, 2298, 65535});
        auto d = decode(from_config(regs), raw);
        REQUIRE_MESSAGE(d.ok(), d.error);
        CHECK(d.find("current_a")->values == std::vector<double>{12.5, -1.25, 0.0});
        CHECK(d.find("power_w")->values[0] == doctest::Approx(-2.0));
        CHECK(d.find("power_w")->values[1] == doctest::Approx(1.0));
        CHECK(d.find("power_w")->values[2] == doctest::Approx(655.36));
        CHECK(d.find("voltage_v")->values[0] == doctest::Approx(-230.1));
        CHECK(d.find("voltage_v")->values[2] == doctest::Approx(-6553.5));
    }

    TEST_CASE("NaN / infinity and missing registers are errors / never numbers") {
        std::map<std::string, config::RegisterConfig> regs;
        regs["current_a"] = test::per_phase(0, RegisterType::Float32);
        RawRegisters raw;
        raw.store(RegisterFunction::Holding, 0, float_words(1.0f));
        raw.store(RegisterFunction::Holding, 2, float_words(std::nanf("")));
        raw.store(RegisterFunction::Holding, 4, float_words(1.0f));
        auto d = decode(from_config(regs), raw);
        CHECK_FALSE(d.ok());
        CHECK(d.error.find("NaN") != std::string::npos);
        raw.store(RegisterFunction::Holding, 2, float_words(INFINITY));
        CHECK(decode(from_config(regs), raw).error.find("infinity") != std::string::npos);
        RawRegisters partial;
        partial.store(RegisterFunction::Holding, 0, float_words(1.0f));
        CHECK(decode(from_config(regs), partial).error.find("was not read") != std::string::npos);
    }

    TEST_CASE("SunSpec: scale factors apply and 0x8000 means not implemented") {
        auto m = sunspec_meter_map(203, 40070);
        REQUIRE(m);
        RawRegisters raw;
        // AphA..AphC at +3..+5, A_SF at +6.
        raw.store(RegisterFunction::Holding, 40073, {1234, 567, 0, 0xFFFE});
        raw.store(RegisterFunction::Holding, 40077, {0, 2301, 2302, 2303, 0, 0, 0, 0, 0xFFFF});  // PhV.., V_SF=-1
        raw.store(RegisterFunction::Holding, 40088, {0, 0, 0, 0, 0, 0});  // Hz.. W, WphA..WphC
        raw.store(RegisterFunction::Holding, 40092, {0});                  // W_SF
        auto d = decode(*m, raw);
        REQUIRE_MESSAGE(d.ok(), d.error);
        CHECK(d.find("current_a")->values[0] == doctest::Approx(12.34));
        CHECK(d.find("current_a")->values[1] == doctest::Approx(5.67));
        CHECK(d.find("voltage_v")->values[2] == doctest::Approx(230.3));
        raw.store(RegisterFunction::Holding, 40075, {0x8000});
        CHECK(decode(*m, raw).error.find("not implemented") != std::string::npos);
        CHECK_FALSE(sunspec_meter_map(101, 40070));
    }
}
