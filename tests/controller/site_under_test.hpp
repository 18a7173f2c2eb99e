#pragma once
// The real fuseguard binary running a small site against real parts: a
// mosquitto, two libmodbus servers (grid meter, EMS) and AutoStations.
//
//   site 40 A; meter "grid" (non_ev unless asked, 10 A fallback); EMS "bms" (5 A fallback);
//   stations A and B, 3-phase, 32 A max, 6 A fallback, on the site; a lost
//   station steps down 5 s after its last renewal (+ 5 s for its vehicle).
#include <csignal>
#include <memory>
#include <regex>
#include <string>

#include "auto_station.hpp"
#include "common/child_process.hpp"
#include "common/temp_dir.hpp"
#include "modbus/test_server.hpp"
#include "mqtt_fixture.hpp"

namespace fuseguard::test {

inline std::string site_yaml(int fuse, std::uint16_t meter_port, std::uint16_t ems_port, std::uint16_t mqtt_port,
                             const std::string& state_dir, const std::string& measures = "non_ev") {
    return "site: { id: test, fuse_limit_a: " + std::to_string(fuse) + " }\n"
           "policy: { min_current_a: 6 }\n"
           "meters:\n"
           "  - id: grid\n"
           "    measures: " + measures + "\n"
           "    modbus: { host: 127.0.0.1, port: " + std::to_string(meter_port) + ", timeout_s: 0.2 }\n"
           "    registers: { current_a: { address: 100, scale: 0.1, per_phase: true } }\n"
           "    poll_interval_s: 0.2\n"
           "    offline_after_s: 1\n"
           "    fallback_a: 10\n"
           "ems:\n"
           "  - id: bms\n"
           "    modbus: { host: 127.0.0.1, port: " + std::to_string(ems_port) + ", timeout_s: 0.2 }\n"
           "    registers: { reserved_current_a: { address: 200, scale: 0.1, per_phase: true } }\n"
           "    poll_interval_s: 0.2\n"
           "    offline_after_s: 1\n"
           "    fallback_a: 5\n"
           "chargers:\n"
           "  - { id: A, max_current_a: 32, fallback_current_a: 6 }\n"
           "  - { id: B, max_current_a: 32, fallback_current_a: 6 }\n"
           "ocpp: { listen: 127.0.0.1:0, ping_interval_s: 1, offline_after_s: 2, failsafe_after_s: 5, "
           "profile_eval_delay_s: 0 }\n"
           "mqtt: { broker: tcp://127.0.0.1:" + std::to_string(mqtt_port) + ", topic_prefix: fg }\n"
           "state_dir: " + state_dir + "\n";
}

struct SiteUnderTest {
    TempDir dir;
    Mosquitto broker;
    TestModbusServer meter, ems;
    std::string config;
    std::unique_ptr<ChildProcess> process;
    std::uint16_t ocpp_port = 0;

    std::string measures;  // the grid meter's: non_ev, or total (stations included)

    // `ran_before`: a site fuseguard has run before, whose stations'
    // failsafes were verified then (state_dir says so): not yet connected,
    // they count at their fallbacks. Without it they count at capacity.
    explicit SiteUnderTest(int fuse = 40, bool modbus_up = true, std::string meter_measures = "non_ev",
                           bool ran_before = true)
        : measures(std::move(meter_measures)) {
        meter.set_holding(100, {40, 40, 40});  // 4 A non-EV load per phase
        ems.set_holding(200, {20, 20, 20});    // 2 A reserved per phase
        if (!modbus_up) meter.stop(), ems.stop();
        if (ran_before) {
            std::filesystem::create_directories(dir.path / "state");
            dir.write("state/held_limits.json", R"({"limits": {}, "verified": ["A", "B"]})");
        }
        config = dir.write("site.yaml", yaml(fuse));
        start();
    }
    ~SiteUnderTest() { stop(); }

    std::string yaml(int fuse) const {
        return site_yaml(fuse, meter.port(), ems.port(), broker.port(), (dir.path / "state").string(), measures);
    }
    // What the binary is started under (e.g. env with libfaketime), if anything.
    std::vector<std::string> launcher;
    void start() {
        auto argv = launcher;
        argv.insert(argv.end(), {FUSEGUARD_BINARY, "--config", config});
        process = std::make_unique<ChildProcess>(argv);
        if (!process->wait_for("stations connect to", std::chrono::seconds(10))) throw std::runtime_error(process->output());
        std::smatch m;
        const std::string& out = process->output();
        if (!std::regex_search(out, m, std::regex("ocpp: listening on 127\\.0\\.0\\.1:([0-9]+)")))
            throw std::runtime_error("no OCPP port in: " + out);
        ocpp_port = static_cast<std::uint16_t>(std::stoi(m[1]));
    }
    int stop() {
        if (!process) return -1;
        process->signal(SIGTERM);
        auto code = process->wait_exit(std::chrono::seconds(10));
        process.reset();
        return code.value_or(-1);
    }
    std::unique_ptr<AutoStation> station(const std::string& id) { return std::make_unique<AutoStation>(id, ocpp_port); }
};

// What the MQTT payloads and the stations of such a site show.
inline bool phases_are(const nlohmann::json& v, double a) { return v.is_array() && v.size() == 3 && v[0] == a && v[1] == a && v[2] == a; }

inline bool has_note(const nlohmann::json& list, const std::string& device, const std::string& code) {
    for (const auto& n : list)
        if (n["device"] == device && n["code"] == code) return true;
    return false;
}

inline const nlohmann::json* deduction_of(const nlohmann::json& site, const std::string& source) {
    for (const auto& d : site["deductions"])
        if (d["source"] == source) return &d;
    return nullptr;
}

// A station that booted and has a vehicle charging on connector 1.
inline std::unique_ptr<AutoStation> charging(SiteUnderTest& site, const std::string& id) {
    auto s = site.station(id);
    s->boot();
    s->status(1, "Charging");
    return s;
}

// Current.Import on each of the three phases, as a 1.6 station reports it.
inline void report_draw(AutoStation& s, double amps, int connector = 1) { s.send_meter_values(amps, connector); }

}  // namespace fuseguard::test
