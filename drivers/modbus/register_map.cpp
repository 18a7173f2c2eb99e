#include "register_map.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace fuseguard::modbus {

std::string_view unit_of(std::string_view name) {
    if (name.ends_with("_a")) return "A";
    if (name.ends_with("_v")) return "V";
    if (name.ends_with("_w")) return "W";
    return "";
}

int width(RegisterType t) { return t == RegisterType::Int16 || t == RegisterType::Uint16 ? 1 : 2; }

RegisterMap from_config(const std::map<std::string, config::RegisterConfig>& registers) {
    RegisterMap map;
    for (const auto& [name, r] : registers) {
        RegisterSpec s;
        s.name = name;
        s.function = r.function;
        for (int a : r.addresses) s.addresses.push_back(static_cast<std::uint16_t>(a));
        s.type = r.type;
        s.word_order = r.word_order;
        s.scale = r.scale;
        s.invert = r.invert;
        map.values.push_back(std::move(s));
    }
    return map;
}

namespace {
RegisterSpec triple(std::string name, RegisterFunction f, RegisterType t, std::uint16_t first, std::uint16_t stride,
                    double scale) {
    RegisterSpec s;
    s.name = std::move(name);
    s.function = f;
    s.type = t;
    s.scale = scale;
    s.addresses = {first, static_cast<std::uint16_t>(first + stride), static_cast<std::uint16_t>(first + 2 * stride)};
    return s;
}
}  // namespace

std::optional<RegisterMap> builtin_profile(std::string_view name) {
    using F = RegisterFunction;
    using T = RegisterType;
    RegisterMap m;
    if (name == "eastron-sdm630") {
        // Input registers, IEEE 754 floats, high word first (Eastron manual).
        m.values.push_back(triple("current_a", F::Input, T::Float32, 0x0006, 2, 1));
        m.values.push_back(triple("voltage_v", F::Input, T::Float32, 0x0000, 2, 1));
        m.values.push_back(triple("power_w", F::Input, T::Float32, 0x000C, 2, 1));
        return m;
    }
    if (name == "abb-b23") {
        // ABB B21/B23/B24: holding registers, unsigned 32-bit, 0.01 A and
        // 0.1 V resolution; signed 32-bit active power in 0.01 W.
        m.values.push_back(triple("current_a", F::Holding, T::Uint32, 0x5B0C, 2, 0.01));
        m.values.push_back(triple("voltage_v", F::Holding, T::Uint32, 0x5B00, 2, 0.1));
        m.values.push_back(triple("power_w", F::Holding, T::Int32, 0x5B16, 2, 0.01));
        return m;
    }
    return std::nullopt;
}

bool is_sunspec_marker(std::uint16_t hi, std::uint16_t lo) { return hi == 0x5375 && lo == 0x6E53; }  // "SunS"

std::optional<RegisterMap> sunspec_meter_map(std::uint16_t model_id, std::uint16_t model_address) {
    if (model_id < 201 || model_id > 204) return std::nullopt;
    // Offsets from the model header (ID at +0, length at +1), SunSpec
    // information model 20x: A, AphA..AphC, A_SF; PhV, PhVphA..C, ...V_SF;
    // Hz, Hz_SF; W, WphA..WphC, W_SF.
    const auto at = [&](int offset) { return static_cast<std::uint16_t>(model_address + offset); };
    const int phases = model_id == 201 ? 1 : model_id == 202 ? 2 : 3;
    auto spec = [&](std::string name, int first, int sf) {
        RegisterSpec s = triple(std::move(name), RegisterFunction::Holding, RegisterType::Int16, at(first), 1, 1);
        s.scale_factor_address = at(sf);
        s.sunspec_sentinels = true;
        s.present_phases = phases;
        return s;
    };
    RegisterMap m;
    m.values.push_back(spec("current_a", 3, 6));
    m.values.push_back(spec("voltage_v", 8, 15));
    m.values.push_back(spec("power_w", 19, 22));
    return m;
}

std::vector<ReadBlock> plan_reads(const RegisterMap& map, int max_gap) {
    std::vector<std::pair<RegisterFunction, std::uint16_t>> wanted;
    for (const auto& v : map.values) {
        for (std::size_t i = 0; i < v.addresses.size(); ++i) {
            if (static_cast<int>(i) >= v.present_phases) break;
            for (int w = 0; w < width(v.type); ++w)
                wanted.emplace_back(v.function, static_cast<std::uint16_t>(v.addresses[i] + w));
        }
        if (v.scale_factor_address) wanted.emplace_back(v.function, *v.scale_factor_address);
    }
    std::sort(wanted.begin(), wanted.end());
    wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
    std::vector<ReadBlock> blocks;
    for (const auto& [f, a] : wanted) {
        if (!blocks.empty()) {
            ReadBlock& b = blocks.back();
            const int end = b.start + b.count;  // one past the last register
            if (b.function == f && a - end <= max_gap && a + 1 - b.start <= 125) {
                b.count = static_cast<std::uint16_t>(a + 1 - b.start);
                continue;
            }
        }
        blocks.push_back({f, a, 1});
    }
    return blocks;
}

void RawRegisters::store(RegisterFunction f, std::uint16_t start, const std::vector<std::uint16_t>& words) {
    for (std::size_t i = 0; i < words.size(); ++i)
        words_[(static_cast<std::uint32_t>(f) << 16) | static_cast<std::uint16_t>(start + i)] = words[i];
}

std::optional<std::uint16_t> RawRegisters::get(RegisterFunction f, std::uint16_t address) const {
    auto it = words_.find((static_cast<std::uint32_t>(f) << 16) | address);
    if (it == words_.end()) return std::nullopt;
    return it->second;
}

const DecodedValue* Decoded::find(std::string_view name) const {
    for (const auto& v : values)
        if (v.name == name) return &v;
    return nullptr;
}

namespace {

// One number, or an error message.
std::optional<double> word_value(const RegisterSpec& s, const RawRegisters& raw, std::uint16_t address,
                                 std::string& error) {
    const auto hi = raw.get(s.function, address);
    const auto lo = width(s.type) == 2 ? raw.get(s.function, static_cast<std::uint16_t>(address + 1)) : hi;
    if (!hi || !lo) {
        error = s.name + ": register " + std::to_string(address) + " was not read";
        return std::nullopt;
    }
    std::uint32_t w32 = s.word_order == WordOrder::HighFirst ? (std::uint32_t{*hi} << 16) | *lo
                                                             : (std::uint32_t{*lo} << 16) | *hi;
    double v = 0;
    switch (s.type) {
    case RegisterType::Int16:
        if (s.sunspec_sentinels && *hi == 0x8000) {
            error = s.name + ": register " + std::to_string(address) + " is 'not implemented' (0x8000)";
            return std::nullopt;
        }
        v = static_cast<std::int16_t>(*hi);
        break;
    case RegisterType::Uint16: v = *hi; break;
    case RegisterType::Int32: v = static_cast<std::int32_t>(w32); break;
    case RegisterType::Uint32: v = w32; break;
    case RegisterType::Float32: v = std::bit_cast<float>(w32); break;
    }
    if (!std::isfinite(v)) {
        error = s.name + ": register " + std::to_string(address) + " holds " + (std::isnan(v) ? "NaN" : "infinity");
        return std::nullopt;
    }
    return v;
}

}  // namespace

Decoded decode(const RegisterMap& map, const RawRegisters& raw) {
    Decoded out;
    for (const auto& s : map.values) {
        double factor = s.scale * (s.invert ? -1 : 1);
        if (s.scale_factor_address) {
            const auto sf = raw.get(s.function, *s.scale_factor_address);
            if (!sf) {
                out.error = s.name + ": scale factor register " + std::to_string(*s.scale_factor_address) + " was not read";
                return out;
            }
            const auto exponent = static_cast<std::int16_t>(*sf);
            if (*sf == 0x8000 || exponent < -10 || exponent > 10) {
                out.error = s.name + ": scale factor " + std::to_string(exponent) + " is not usable";
                return out;
            }
            factor *= std::pow(10.0, exponent);
        }
        DecodedValue dv{s.name, {}};
        for (std::size_t i = 0; i < s.addresses.size(); ++i) {
            if (static_cast<int>(i) >= s.present_phases) {
                dv.values.push_back(0);
                continue;
            }
            auto v = word_value(s, raw, s.addresses[i], out.error);
            if (!v) return out;
            dv.values.push_back(*v * factor);
        }
        out.values.push_back(std::move(dv));
    }
    return out;
}

}  // namespace fuseguard::modbus
