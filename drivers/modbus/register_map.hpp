#pragma once
// What to read from a Modbus device and how to turn registers into values:
// the installer's `registers:` map, a built-in meter profile, or a SunSpec
// meter model found on the device. Pure: no I/O here.
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace fuseguard::modbus {

using config::RegisterFunction;
using config::RegisterType;
using config::WordOrder;

struct RegisterSpec {
    std::string name;                  // "current_a", "voltage_v", "power_w", "reserved_current_a"
    RegisterFunction function = RegisterFunction::Holding;
    std::vector<std::uint16_t> addresses;  // one, or L1, L2, L3
    RegisterType type = RegisterType::Uint16;
    WordOrder word_order = WordOrder::HighFirst;
    double scale = 1;
    bool invert = false;
    // SunSpec: the value is multiplied by 10^(int16 at this address), and
    // 0x8000 / 0xFFFF mean "not implemented", never a number.
    std::optional<std::uint16_t> scale_factor_address;
    bool sunspec_sentinels = false;
    int present_phases = 3;            // phases past this read as 0 (1-phase SunSpec models)
};

struct RegisterMap {
    std::vector<RegisterSpec> values;
};

// The unit of a value, from its name: "A", "V" or "W".
std::string_view unit_of(std::string_view name);
int width(RegisterType t);  // in registers

RegisterMap from_config(const std::map<std::string, config::RegisterConfig>& registers);
// Built-in maps that need no discovery; nullopt for "sunspec" and unknown names.
std::optional<RegisterMap> builtin_profile(std::string_view name);

// SunSpec: the base address holds "SunS"; then models follow as [id, length].
inline constexpr std::array<std::uint16_t, 3> kSunSpecBases{40000, 0, 50000};
bool is_sunspec_marker(std::uint16_t hi, std::uint16_t lo);
// The map for meter model 201-204 whose header ([id, length]) is at `model_address`.
std::optional<RegisterMap> sunspec_meter_map(std::uint16_t model_id, std::uint16_t model_address);

// Contiguous reads covering every register of the map, per function, at
// most 125 registers each, bridging gaps of up to `max_gap` registers.
struct ReadBlock {
    RegisterFunction function = RegisterFunction::Holding;
    std::uint16_t start = 0;
    std::uint16_t count = 0;
};
std::vector<ReadBlock> plan_reads(const RegisterMap& map, int max_gap = 16);

// Registers as read, by function and address.
class RawRegisters {
public:
    void store(RegisterFunction f, std::uint16_t start, const std::vector<std::uint16_t>& words);
    std::optional<std::uint16_t> get(RegisterFunction f, std::uint16_t address) const;
    const std::map<std::uint32_t, std::uint16_t>& all() const { return words_; }

private:
    std::map<std::uint32_t, std::uint16_t> words_;  // key: function << 16 | address
};

struct DecodedValue {
    std::string name;
    std::vector<double> values;  // one, or L1, L2, L3
};
struct Decoded {
    std::vector<DecodedValue> values;
    std::string error;  // set when a register is missing, NaN, infinite or "not implemented"
    bool ok() const { return error.empty(); }
    const DecodedValue* find(std::string_view name) const;
};
Decoded decode(const RegisterMap& map, const RawRegisters& raw);

}  // namespace fuseguard::modbus
