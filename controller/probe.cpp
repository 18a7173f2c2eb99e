#include "probe.hpp"

#include <cstdio>
#include <ostream>

#include "drivers/modbus/device_reader.hpp"

namespace fuseguard::controller {

namespace {
const config::PolledDevice* find_device(const config::Config& cfg, std::string_view target, modbus::DeviceKind& kind) {
    const auto colon = target.find(':');
    if (colon == std::string_view::npos) return nullptr;
    const auto type = target.substr(0, colon), id = target.substr(colon + 1);
    if (type == "meter") {
        kind = modbus::DeviceKind::Meter;
        for (const auto& m : cfg.meters)
            if (m.id == id) return &m;
    } else if (type == "ems") {
        kind = modbus::DeviceKind::Ems;
        for (const auto& e : cfg.ems)
            if (e.id == id) return &e;
    }
    return nullptr;
}

std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    return buf;
}
}  // namespace

int probe(const config::Config& cfg, std::string_view target, bool verbose, std::ostream& out, std::ostream& err) {
    modbus::DeviceKind kind = modbus::DeviceKind::Meter;
    const config::PolledDevice* dev = find_device(cfg, target, kind);
    if (!dev) {
        err << "fuseguard: --probe: no device '" << target << "' in " << cfg.source
            << "; expected meter:<id> or ems:<id>\n";
        return 2;
    }
    modbus::Client client(dev->modbus);
    modbus::DeviceReader reader(kind, *dev, 10 * cfg.site.fuse_limit_a);
    out << reader.name() << ": " << (dev->profile ? "profile " + *dev->profile : std::string("own register map"))
        << " via " << client.name() << ", unit " << dev->modbus.unit_id << ", timeout " << dev->modbus.timeout_s
        << " s\n";
    const auto outcome = reader.read(client);
    if (verbose) {
        for (const auto& [key, word] : outcome.raw.all()) {
            const auto function = key >> 16;
            char line[96];
            std::snprintf(line, sizeof line, "  %s register %5u = 0x%04X (%u)\n", function == 4 ? "input  " : "holding",
                          key & 0xFFFF, word, word);
            out << line;
        }
    }
    for (const auto& v : outcome.decoded.values) {
        const auto unit = modbus::unit_of(v.name);
        out << "  " << v.name << ":";
        for (std::size_t i = 0; i < v.values.size(); ++i)
            out << (v.values.size() == 3 ? "  L" + std::to_string(i + 1) + " " : "  ") << number(v.values[i]) << " "
                << unit;
        out << "\n";
    }
    if (!outcome.reading) {
        err << reader.name() << ": not a good reading: " << outcome.error << "\n";
        return 1;
    }
    out << reader.name() << ": good reading\n";
    return 0;
}

}  // namespace fuseguard::controller
