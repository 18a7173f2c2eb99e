#pragma once
// fuseguard-sim's own configuration (examples/demo-sim.yaml): how the
// simulated site behaves. The site itself (stations, phases, ports) comes
// from the fuseguard configuration it names, so the two never disagree.
#include <array>
#include <cstdint>
#include <set>
#include <string>

#include "config/config.hpp"

namespace fuseguard::sim {

struct Range {
    double min = 0, max = 0;
};

struct SimConfig {
    std::uint32_t seed = 1;
    config::Config site;                   // fuseguard's configuration
    std::string ocpp_host = "127.0.0.1";
    std::uint16_t ocpp_port = 9000;
    std::set<std::string> ocpp201;         // stations speaking 2.0.1; the rest speak 1.6
    std::array<double, 3> building_base_a{20, 20, 20};
    double building_swing_a = 8;
    double building_period_s = 120;
    std::array<double, 3> ems_reserved_a{4, 4, 4};
    double arrive_every_s = 30;            // mean wait for the next EV at a free station
    Range stay_s{60, 240};
    Range ev_max_a{10, 32};
    double fault_every_s = 600;
    Range fault_s{20, 60};
    double drop_every_s = 900;
    Range drop_s{10, 30};
};

// Reads the simulator file and the fuseguard configuration it points to
// (relative to the simulator file). Throws std::runtime_error with the reason.
SimConfig load_sim_config(const std::string& path);

}  // namespace fuseguard::sim
