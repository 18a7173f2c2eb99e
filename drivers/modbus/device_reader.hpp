#pragma once
// Reads one configured device once: resolves its register map (finding the
// SunSpec model on first use), reads it in as few requests as the map
// allows, decodes, and refuses anything that is not a believable reading.
#include <array>
#include <optional>
#include <string>

#include "client.hpp"
#include "register_map.hpp"

namespace fuseguard::modbus {

enum class DeviceKind { Meter, Ems };
std::string_view prefix(DeviceKind k);  // "meter" / "ems"

struct Reading {
    // Per site phase L1, L2, L3: a meter's current, or what an EMS reserves.
    std::array<double, 3> current_a{};
    std::optional<std::array<double, 3>> voltage_v;
    std::optional<std::array<double, 3>> power_w;
};

struct ReadOutcome {
    std::optional<Reading> reading;  // set only for a good reading
    std::string error;               // why it is not
    RawRegisters raw;                // what was read, for --probe --verbose
    Decoded decoded;
};

class DeviceReader {
public:
    // `current_bound_a`: no believable current is above this (SPEC 4:
    // outside physical bounds is not a good reading).
    DeviceReader(DeviceKind kind, const config::PolledDevice& device, double current_bound_a);

    DeviceKind kind() const { return kind_; }
    const config::PolledDevice& device() const { return device_; }
    std::string name() const { return std::string(prefix(kind_)) + ":" + device_.id; }

    ReadOutcome read(Client& client);

private:
    std::string discover_sunspec(Client& client);
    std::string check_bounds(const Decoded& d) const;

    DeviceKind kind_;
    config::PolledDevice device_;
    double bound_a_;
    std::optional<RegisterMap> map_;
    std::vector<ReadBlock> blocks_;
};

}  // namespace fuseguard::modbus
