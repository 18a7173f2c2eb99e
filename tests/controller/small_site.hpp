#pragma once
// The real fuseguard binary with a site of N stations on one fuse and no
// Modbus devices, for tests that watch the stations' side: SN stations named
// S0, S1, ... (AutoStations unless the test brings its own).
#include <doctest/doctest.h>

#include <csignal>
#include <regex>

#include "auto_station.hpp"
#include "common/child_process.hpp"
#include "common/temp_dir.hpp"

namespace fuseguard::test {

using namespace std::chrono_literals;

// Waits until the station's last limit is `amps` and it has answered it.
inline bool holds(AutoStation& s, double amps, std::chrono::milliseconds deadline = 5s) {
    return s.wait_calls(
        "SetChargingProfile",
        [&](const std::vector<ReceivedCall>& c) {
            return !c.empty() && limit_of(c.back().payload) == amps && c.back().answered_seq;
        },
        deadline);
}

// `sections`: more top-level sections (backend:, authorization: ...).
inline std::string small_site_yaml(const TempDir& dir, int fuse, const std::vector<int>& max_a,
                                   const std::string& ocpp_extra = "", const std::string& sections = "") {
    std::string y = "site: { id: transitions, fuse_limit_a: " + std::to_string(fuse) + " }\n"
                    "policy: { min_current_a: 6 }\n"
                    "chargers:\n";
    for (std::size_t i = 0; i < max_a.size(); ++i)
        y += "  - { id: S" + std::to_string(i) + ", max_current_a: " + std::to_string(max_a[i]) +
             ", fallback_current_a: 6 }\n";
    y += "ocpp: { listen: 127.0.0.1:0, ping_interval_s: 1, offline_after_s: 5" + ocpp_extra + " }\n"
         "state_dir: " + (dir.path / "state").string() + "\n" + sections;
    return y;
}

struct Site {
    std::string ocpp_extra;  // more keys for the ocpp: section, each with a leading ", "
    std::string sections;    // more top-level sections
    TempDir dir;
    std::string config;
    std::unique_ptr<ChildProcess> process;
    std::uint16_t port = 0;
    std::vector<std::unique_ptr<AutoStation>> stations;

    // With `own_stations` false the test brings its own (ocpp-rpc) stations.
    Site(int fuse, const std::vector<int>& max_a, bool own_stations = true, std::string ocpp_keys = "",
         std::string more_sections = "")
        : ocpp_extra(std::move(ocpp_keys)),
          sections(std::move(more_sections)),
          config(dir.write("site.yaml", small_site_yaml(dir, fuse, max_a, ocpp_extra, sections))) {
        launch();
        for (std::size_t i = 0; own_stations && i < max_a.size(); ++i) stations.push_back(std::make_unique<AutoStation>("S" + std::to_string(i), port));
    }
    ~Site() {
        stations.clear();
        process->signal(SIGTERM);
        process->wait_exit(10s);
    }
    std::vector<AutoStation*> all() {
        std::vector<AutoStation*> out;
        for (auto& s : stations) out.push_back(s.get());
        return out;
    }
    // fuseguard killed and started again on the same configuration and
    // state_dir; the stations it had lose their connection.
    void restart_after_kill() {
        process->signal(SIGKILL);
        process->wait_exit(10s);
        process->wait_for("\x01never", 100ms);  // what it wrote to the end
        previous_output = process->output();
        launch();
    }
    std::string previous_output;  // of the run restart_after_kill() ended
    // Starts fuseguard on `config` and learns the port it listens on.
    void launch() {
        process = std::make_unique<ChildProcess>(std::vector<std::string>{FUSEGUARD_BINARY, "--config", config});
        REQUIRE(process->wait_for("stations connect to", 10s));
        std::smatch m;
        REQUIRE(std::regex_search(process->output(), m, std::regex("ocpp: listening on 127\\.0\\.0\\.1:([0-9]+)")));
        port = static_cast<std::uint16_t>(std::stoi(m[1]));
    }
    void reload(int fuse, const std::vector<int>& max_a) {
        dir.write("site.yaml", small_site_yaml(dir, fuse, max_a, ocpp_extra, sections));
        const auto from = process->output().size();
        process->signal(SIGHUP);
        REQUIRE(process->wait_for("reloaded", 10s, from));
    }
};

}  // namespace fuseguard::test
