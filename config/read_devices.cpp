// Modbus devices (meters, EMS) and charging stations.
#include "sections.hpp"

namespace fuseguard::config {

namespace {

void read_modbus(Reader& r, const YAML::Node& n, const std::string& path, ModbusConfig& out) {
    if (!r.map(n, path, {"host", "port", "serial", "baud", "parity", "data_bits", "stop_bits", "unit_id", "timeout_s"}))
        return;
    const bool tcp = r.find(n, "host").has_value();
    const bool serial = r.find(n, "serial").has_value();
    if (tcp == serial) {
        r.error(Reader::mark_of(n), path,
                tcp ? "expected either host (Modbus TCP) or serial (Modbus RTU), not both"
                    : "missing; expected host (Modbus TCP) or serial (Modbus RTU)");
        return;
    }
    if (tcp) {
        TcpEndpoint t;
        r.text(n, path, "host", t.host, true);
        int port = 502;
        r.integer(n, path, "port", port, 1, 65535);
        t.port = static_cast<std::uint16_t>(port);
        for (auto k : {"baud", "parity", "data_bits", "stop_bits"})
            if (auto e = r.find(n, k)) r.error(e->mark, join_key(path, k), "only applies to serial (RTU) devices");
        out.transport = t;
    } else {
        SerialEndpoint s;
        r.text(n, path, "serial", s.device, true);
        r.integer(n, path, "baud", s.baud, 300, 921600);
        if (auto p = r.choice(n, path, "parity", {"N", "E", "O"})) s.parity = "NEO"[*p];
        r.integer(n, path, "data_bits", s.data_bits, 5, 8);
        r.integer(n, path, "stop_bits", s.stop_bits, 1, 2);
        if (auto e = r.find(n, "port")) r.error(e->mark, join_key(path, "port"), "only applies to TCP devices");
        out.transport = s;
    }
    r.integer(n, path, "unit_id", out.unit_id, 0, 255);
    r.number(n, path, "timeout_s", out.timeout_s, Bound::Positive);
}

void read_register(Reader& r, const YAML::Node& n, const std::string& path, RegisterConfig& out) {
    if (!r.map(n, path, {"address", "addresses", "function", "type", "word_order", "scale", "invert", "per_phase"}))
        return;
    out.mark = Reader::mark_of(n);
    r.boolean(n, path, "per_phase", out.per_phase);
    if (auto f = r.choice(n, path, "function", {"holding", "input"}))
        out.function = *f == 0 ? RegisterFunction::Holding : RegisterFunction::Input;
    if (auto t = r.choice(n, path, "type", {"int16", "uint16", "int32", "uint32", "float32"}))
        out.type = static_cast<RegisterType>(*t);
    if (auto w = r.choice(n, path, "word_order", {"big", "little"}))
        out.word_order = *w == 0 ? WordOrder::HighFirst : WordOrder::LowFirst;
    double scale = 1;
    if (r.number(n, path, "scale", scale, Bound::Any)) {
        if (scale == 0) r.error(r.find(n, "scale")->mark, join_key(path, "scale"), "expected a non-zero factor, got 0");
        out.scale = scale;
    }
    r.boolean(n, path, "invert", out.invert);

    const bool one = r.find(n, "address").has_value();
    const auto many = r.find(n, "addresses");
    if (one == many.has_value()) {
        r.error(Reader::mark_of(n), path, "expected either address or addresses (one per phase)");
        return;
    }
    if (one) {
        int a = 0;
        if (!r.integer(n, path, "address", a, 0, 65535)) return;
        const int width = out.type == RegisterType::Int16 || out.type == RegisterType::Uint16 ? 1 : 2;
        out.addresses = {a};
        if (out.per_phase) out.addresses = {a, a + width, a + 2 * width};
        if (out.addresses.back() + width - 1 > 65535)
            r.error(r.find(n, "address")->mark, join_key(path, "address"), "the registers run past address 65535");
        return;
    }
    const std::string key = join_key(path, "addresses");
    if (!r.sequence(many->value, key)) return;
    if (many->value.size() != 3) {
        r.error(many->mark, key, "expected three addresses (L1, L2, L3), got " + std::to_string(many->value.size()));
        return;
    }
    for (std::size_t i = 0; i < 3; ++i) {
        const YAML::Node& v = many->value[i];
        char* end = nullptr;
        long a = v.IsScalar() ? std::strtol(v.Scalar().c_str(), &end, 10) : -1;
        if (!v.IsScalar() || v.Scalar().empty() || *end != '\0' || a < 0 || a > 65535) {
            r.error(Reader::mark_of(v), indexed_key(key, i), "expected a register address from 0 to 65535");
            return;
        }
        out.addresses.push_back(static_cast<int>(a));
    }
    out.per_phase = true;
}

// Keys a register map may hold for each kind of device.
void read_registers(Reader& r, const YAML::Node& n, const std::string& path,
                    std::initializer_list<std::string_view> allowed, std::map<std::string, RegisterConfig>& out) {
    if (!r.map(n, path, allowed)) return;
    for (const auto& kv : n) {
        RegisterConfig reg;
        const YAML::Node key = kv.first, value = kv.second;
        const std::string name = key.Scalar();
        read_register(r, value, join_key(path, name), reg);
        out[name] = reg;
    }
}

void read_polled(Reader& r, const YAML::Node& n, const std::string& path, PolledDevice& d) {
    d.mark = Reader::mark_of(n);
    r.text(n, path, "id", d.id, true);
    r.text(n, path, "circuit", d.circuit);
    if (auto e = r.find(n, "modbus")) read_modbus(r, e->value, join_key(path, "modbus"), d.modbus);
    else r.missing(n, path, "modbus", "host/port or serial settings");
    r.number(n, path, "poll_interval_s", d.poll_interval_s, Bound::Positive);
    r.number(n, path, "offline_after_s", d.offline_after_s, Bound::Positive);
    r.number(n, path, "fallback_a", d.fallback_a, Bound::NonNegative, true);
}

}  // namespace

void read_meters(Reader& r, const YAML::Node& n, std::vector<MeterConfig>& out) {
    if (n.IsNull()) return;
    if (!r.sequence(n, "meters")) return;
    for (std::size_t i = 0; i < n.size(); ++i) {
        const std::string key = indexed_key("meters", i);
        const YAML::Node& m = n[i];
        if (!r.map(m, key, {"id", "circuit", "measures", "modbus", "profile", "registers", "poll_interval_s",
                            "offline_after_s", "fallback_a"}))
            continue;
        MeterConfig c;
        read_polled(r, m, key, c);
        // Required: guessing `total` for a meter that sees only other loads
        // would subtract the stations' draw from it, the unsafe direction.
        if (auto k = r.choice(m, key, "measures", {"total", "non_ev"}, true))
            c.measures = *k == 0 ? MeterMeasures::Total : MeterMeasures::NonEv;
        r.text(m, key, "profile", c.profile);
        if (auto e = r.find(m, "registers"))
            read_registers(r, e->value, join_key(key, "registers"), {"current_a", "voltage_v", "power_w"}, c.registers);
        out.push_back(std::move(c));
    }
}

void read_ems(Reader& r, const YAML::Node& n, std::vector<EmsConfig>& out) {
    if (n.IsNull()) return;
    if (!r.sequence(n, "ems")) return;
    for (std::size_t i = 0; i < n.size(); ++i) {
        const std::string key = indexed_key("ems", i);
        const YAML::Node& m = n[i];
        if (!r.map(m, key, {"id", "circuit", "modbus", "registers", "poll_interval_s", "offline_after_s", "fallback_a"}))
            continue;
        EmsConfig c;
        read_polled(r, m, key, c);
        if (auto e = r.find(m, "registers"))
            read_registers(r, e->value, join_key(key, "registers"), {"reserved_current_a"}, c.registers);
        else
            r.missing(m, key, "registers", "a register map with reserved_current_a");
        out.push_back(std::move(c));
    }
}

void read_chargers(Reader& r, const YAML::Node& n, std::vector<ChargerConfig>& out) {
    if (n.IsNull()) return;
    if (!r.sequence(n, "chargers")) return;
    for (std::size_t i = 0; i < n.size(); ++i) {
        const std::string key = indexed_key("chargers", i);
        const YAML::Node& m = n[i];
        if (!r.map(m, key, {"id", "circuit", "phases", "phase_rotation", "max_current_a", "fallback_current_a",
                            "priority", "password", "backend_identity", "backend_password"}))
            continue;
        ChargerConfig c;
        c.mark = Reader::mark_of(m);
        r.text(m, key, "id", c.id, true);
        r.text(m, key, "circuit", c.circuit);
        if (auto p = r.choice(m, key, "phases", {"1", "3"})) c.phases = *p == 0 ? 1 : 3;
        c.phase_rotation = c.phases == 1 ? "L1" : "L1L2L3";
        r.text(m, key, "phase_rotation", c.phase_rotation);
        r.number(m, key, "max_current_a", c.max_current_a, Bound::NonNegative, true);
        r.number(m, key, "fallback_current_a", c.fallback_current_a, Bound::NonNegative);
        r.integer(m, key, "priority", c.priority, -1000, 1000);
        r.text(m, key, "password", c.password);
        r.text(m, key, "backend_identity", c.backend_identity);
        r.text(m, key, "backend_password", c.backend_password);
        out.push_back(std::move(c));
    }
}

}  // namespace fuseguard::config
