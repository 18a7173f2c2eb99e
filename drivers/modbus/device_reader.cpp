#include "device_reader.hpp"

#include <cmath>

namespace fuseguard::modbus {

std::string_view prefix(DeviceKind k) { return k == DeviceKind::Meter ? "meter" : "ems"; }

DeviceReader::DeviceReader(DeviceKind kind, const config::PolledDevice& device, double current_bound_a)
    : kind_(kind), device_(device), bound_a_(current_bound_a) {
    if (!device_.registers.empty()) map_ = from_config(device_.registers);
    else if (device_.profile) map_ = builtin_profile(*device_.profile);  // nullopt for sunspec: found on first read
    if (map_) blocks_ = plan_reads(*map_);
}

std::string DeviceReader::discover_sunspec(Client& client) {
    const int unit = device_.modbus.unit_id;
    const double timeout = device_.modbus.timeout_s;
    std::string last;
    for (std::uint16_t base : kSunSpecBases) {
        auto marker = client.read(unit, timeout, {RegisterFunction::Holding, base, 2});
        if (auto* e = std::get_if<ReadError>(&marker)) {
            if (e->kind != ReadError::Kind::Exception) return e->message;  // no point trying other bases
            last = e->message;
            continue;
        }
        const auto& w = std::get<std::vector<std::uint16_t>>(marker);
        if (!is_sunspec_marker(w[0], w[1])) continue;
        // Walk the models: [id, length] headers, up to the end marker 0xFFFF.
        std::uint32_t at = base + 2u;
        for (int models = 0; models < 64 && at + 1 <= 0xFFFF; ++models) {
            auto header = client.read(unit, timeout, {RegisterFunction::Holding, static_cast<std::uint16_t>(at), 2});
            if (auto* e = std::get_if<ReadError>(&header)) return "SunSpec model list: " + e->message;
            const auto& h = std::get<std::vector<std::uint16_t>>(header);
            if (h[0] == 0xFFFF) break;
            if (auto m = sunspec_meter_map(h[0], static_cast<std::uint16_t>(at))) {
                map_ = std::move(m);
                blocks_ = plan_reads(*map_);
                return {};
            }
            at += 2u + h[1];
        }
        return "SunSpec device at " + std::to_string(base) + " has no meter model (201-204)";
    }
    return "no SunSpec marker ('SunS') at 40000, 0 or 50000" + (last.empty() ? "" : " (last: " + last + ")");
}

std::string DeviceReader::check_bounds(const Decoded& d) const {
    const char* name = kind_ == DeviceKind::Meter ? "current_a" : "reserved_current_a";
    const DecodedValue* v = d.find(name);
    if (!v || v->values.size() != 3) return std::string("no per-phase ") + name + " in the map";
    for (std::size_t i = 0; i < 3; ++i) {
        const double x = v->values[i];
        // Meters may show export as negative current; an EMS reservation may not.
        const double lowest = kind_ == DeviceKind::Meter ? -bound_a_ : -0.5;
        if (x < lowest || x > bound_a_)
            return std::string(name) + " L" + std::to_string(i + 1) + " = " + std::to_string(x) +
                   " A is outside physical bounds [" + std::to_string(lowest) + ", " + std::to_string(bound_a_) + "]";
    }
    return {};
}

ReadOutcome DeviceReader::read(Client& client) {
    ReadOutcome out;
    if (auto err = client.connect(); !err.empty()) {
        out.error = err;
        return out;
    }
    if (!map_) {
        if (!device_.profile || *device_.profile != "sunspec") {
            out.error = "no register map";
            return out;
        }
        if (auto err = discover_sunspec(client); !err.empty()) {
            out.error = err;
            return out;
        }
    }
    for (const auto& b : blocks_) {
        auto r = client.read(device_.modbus.unit_id, device_.modbus.timeout_s, b);
        if (auto* e = std::get_if<ReadError>(&r)) {
            out.error = e->message;
            return out;
        }
        out.raw.store(b.function, b.start, std::get<std::vector<std::uint16_t>>(r));
    }
    out.decoded = decode(*map_, out.raw);
    if (!out.decoded.ok()) {
        out.error = out.decoded.error;
        return out;
    }
    if (auto err = check_bounds(out.decoded); !err.empty()) {
        out.error = err;
        return out;
    }
    Reading r;
    const auto* current = out.decoded.find(kind_ == DeviceKind::Meter ? "current_a" : "reserved_current_a");
    for (std::size_t i = 0; i < 3; ++i) r.current_a[i] = current->values[i];
    auto triple = [&](const char* name) -> std::optional<std::array<double, 3>> {
        const auto* v = out.decoded.find(name);
        if (!v || v->values.size() != 3) return std::nullopt;
        return std::array<double, 3>{v->values[0], v->values[1], v->values[2]};
    };
    r.voltage_v = triple("voltage_v");
    r.power_w = triple("power_w");
    out.reading = r;
    return out;
}

}  // namespace fuseguard::modbus
