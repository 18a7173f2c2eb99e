#include "sim_config.hpp"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <stdexcept>

#include "config/load.hpp"

namespace fuseguard::sim {

namespace {

std::array<double, 3> triple(const YAML::Node& n, std::array<double, 3> fallback) {
    if (!n) return fallback;
    if (n.IsScalar()) {
        const double v = n.as<double>();
        return {v, v, v};
    }
    if (!n.IsSequence() || n.size() != 3) throw std::runtime_error("expected a number or [L1, L2, L3]");
    return {n[0].as<double>(), n[1].as<double>(), n[2].as<double>()};
}

Range range(const YAML::Node& n, Range fallback) {
    if (!n) return fallback;
    if (!n.IsSequence() || n.size() != 2) throw std::runtime_error("expected [min, max]");
    Range r{n[0].as<double>(), n[1].as<double>()};
    if (r.min > r.max || r.min < 0) throw std::runtime_error("expected 0 <= min <= max");
    return r;
}

double positive(const YAML::Node& n, double fallback) {
    if (!n) return fallback;
    const double v = n.as<double>();
    if (v <= 0) throw std::runtime_error("expected a positive number");
    return v;
}

}  // namespace

SimConfig load_sim_config(const std::string& path) {
    SimConfig c;
    YAML::Node root;
    try {
        root = YAML::LoadFile(path);
    } catch (const std::exception& e) {
        throw std::runtime_error(path + ": " + e.what());
    }
    try {
        if (!root["site"]) throw std::runtime_error("site: missing (the fuseguard configuration to simulate)");
        const auto site_path = std::filesystem::path(path).parent_path() / root["site"].as<std::string>();
        auto loaded = config::load_file(site_path.string());
        if (!loaded.ok()) {
            std::string why;
            for (const auto& e : loaded.errors) why += "\n  " + e.to_string();
            throw std::runtime_error("site " + site_path.string() + " is invalid:" + why);
        }
        c.site = std::move(*loaded.config);
        c.ocpp_port = c.site.ocpp.listen_port;
        if (c.site.ocpp.listen_host != "0.0.0.0") c.ocpp_host = c.site.ocpp.listen_host;
        if (root["seed"]) c.seed = root["seed"].as<std::uint32_t>();
        if (root["ocpp201"])
            for (const auto& id : root["ocpp201"]) c.ocpp201.insert(id.as<std::string>());
        if (const auto b = root["building"]) {
            c.building_base_a = triple(b["base_a"], c.building_base_a);
            if (b["swing_a"]) c.building_swing_a = b["swing_a"].as<double>();
            c.building_period_s = positive(b["period_s"], c.building_period_s);
        }
        if (const auto e = root["ems"]) c.ems_reserved_a = triple(e["reserved_a"], c.ems_reserved_a);
        if (const auto v = root["vehicles"]) {
            c.arrive_every_s = positive(v["arrive_every_s"], c.arrive_every_s);
            c.stay_s = range(v["stay_s"], c.stay_s);
            c.ev_max_a = range(v["max_a"], c.ev_max_a);
        }
        if (const auto f = root["faults"]) {
            c.fault_every_s = positive(f["every_s"], c.fault_every_s);
            c.fault_s = range(f["last_s"], c.fault_s);
        }
        if (const auto d = root["drops"]) {
            c.drop_every_s = positive(d["every_s"], c.drop_every_s);
            c.drop_s = range(d["last_s"], c.drop_s);
        }
    } catch (const YAML::Exception& e) {
        throw std::runtime_error(path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
    } catch (const std::runtime_error& e) {
        throw std::runtime_error(path + ": " + e.what());
    }
    return c;
}

}  // namespace fuseguard::sim
