#pragma once
// Device configurations pointing at a test server, as the YAML would give them.
#include "config/config.hpp"

namespace fuseguard::test {

inline config::PolledDevice tcp_device(std::string id, std::uint16_t port, int unit = 1, double timeout_s = 0.5) {
    config::PolledDevice d;
    d.id = std::move(id);
    d.modbus.transport = config::TcpEndpoint{"127.0.0.1", port};
    d.modbus.unit_id = unit;
    d.modbus.timeout_s = timeout_s;
    d.fallback_a = 50;
    return d;
}

inline config::RegisterConfig per_phase(int address, config::RegisterType type, double scale = 1,
                                        config::RegisterFunction f = config::RegisterFunction::Holding) {
    config::RegisterConfig r;
    const int w = type == config::RegisterType::Int16 || type == config::RegisterType::Uint16 ? 1 : 2;
    r.addresses = {address, address + w, address + 2 * w};
    r.type = type;
    r.scale = scale;
    r.function = f;
    r.per_phase = true;
    return r;
}

}  // namespace fuseguard::test
