#pragma once
// The soak itself (test_soak.cpp, docs/testing.md "Soak"): the real binary,
// a mosquitto, the meter's and the EMS's Modbus servers, and kStations
// AutoStations, driven through a seeded schedule of steps. Its parts:
// soak.cpp (the schedule and what the checker reads), soak_station_faults.cpp,
// soak_site_faults.cpp (meter, EMS, building load, broker, fuseguard itself).
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "common/child_process.hpp"
#include "common/temp_dir.hpp"
#include "controller/auto_station.hpp"
#include "controller/mqtt_fixture.hpp"
#include "modbus/test_server.hpp"
#include "soak_checker.hpp"
#include "soak_site.hpp"

namespace fuseguard::test::soak {

struct Station {
    std::string id;
    std::unique_ptr<AutoStation> link;  // the last connection; kept (closed) until the next one
    bool charging = false;
    bool suspended = false;  // charging, offered too little
    double car_max_a = 16;  // what the car plugged in can take
    bool rejecting = false;
    bool slow = false;  // answers its profiles late (busy writing flash)
    bool disobeying = false;  // accepts its profiles and lets the car draw what it wants
    bool rebooting = false;  // its charge ended with the reboot: the car starts a new one
    std::optional<Clock::time_point> reconnect_at;
};

class Soak {
public:
    explicit Soak(std::uint64_t seed);
    ~Soak();

    // Every station connected, booted and given a limit: from here on, what
    // they hold is fuseguard's doing.
    bool bring_up();

    void start_checker() { checker_.start(); }
    void stop_checker() { checker_.stop(); }

    void step(int n);

    // Everything back to normal, then a last look.
    void settle();

    int stop_fuseguard();

    std::vector<std::string> violations() { return checker_.violations(); }
    std::size_t checks() const { return checker_.checks(); }
    double closest() const { return checker_.closest(); }
    std::string log_tail() const;
    std::string figures() const { return figures_.str(); }
    std::string whole_log() const { return log_ + (fuseguard_ ? fuseguard_->output() : ""); }
    bool fuseguard_crashed() const { return crashed_; }
    std::size_t most_open_files() const { return most_open_files_; }
    // Stations that ignored their profiles for a while, and how often fuseguard said one did.
    int disobeyed() const { return disobeyed_; }
    std::size_t found_ignoring() const;

private:
    using Action = std::function<void()>;
    struct DeviceState {
        bool faulty = false;
    };

    double uniform(double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng_); }
    Station& any_station() { return stations_[std::uniform_int_distribution<std::size_t>(0, stations_.size() - 1)(rng_)]; }
    void later(double seconds, Action a);
    void run_due();
    void wait_a_little();

    // --- stations ---------------------------------------------------------
    void reconnect_lost();
    void connect_again(Station& s);
    void drop_station();
    // A station restarting (a firmware update, its watchdog): the charge
    // ends with it and its transaction's profile goes, the profiles for the
    // station stay (OCPP keeps them across a reboot), and it is back after
    // 2-10 s with the car starting a new transaction.
    void reboot_station();
    void silence_station();
    void reject_profiles();
    // A station busy writing its profiles to flash answers each one late;
    // it may apply it before it answers (AutoStation::may_draw_now).
    void slow_profiles();
    // A station that accepts every profile and lets the car draw what it
    // wants (go-eCharger API issue 249, evcc issue 31597), for a while. It
    // stays connected meanwhile: gone before its reports gave it away, it
    // could draw anything and no controller would know.
    // One with a car, where it matters.
    void disobey_profiles();
    void garbage_from_station();
    // How many cars the site has varies over the run (busy_target_), so that
    // the limits range from the 6 A minimum to well above the fallback.
    void car_comes_or_goes();
    // A car takes what it is offered, up to what it can take; at a station
    // that ignores its profiles, what it can take.
    void report_draw(Station& s);
    // Those that ignore their profiles report every step (or fifth of a
    // second): they are what the soak watches fuseguard find.
    void report_ignoring();

    // --- meter, EMS, building -----------------------------------------------
    // A device going mute, refusing (server device failure), or answering
    // what no real load could be, for a few seconds.
    void device_fault(TestModbusServer& device, std::uint16_t address, DeviceState& state, const Action& garbage);
    // The meter's registers are tenths of an ampere: all ones is 6553.5 A.
    void meter_garbage() { meter_.set_holding(100, {0xFFFF, 0xFFFF, 0xFFFF}); }
    // The EMS's are float32: NaN, infinity, negative or absurd, per phase.
    void ems_garbage();
    void serve_reservation();
    void serve_truth();
    void move_building_load();
    void move_reservation();

    // --- broker, fuseguard ----------------------------------------------------
    void restart_broker();
    void reload(bool good);
    void kill_fuseguard();
    void start_fuseguard();
    void note_resources();

    // What the checker reads: each station's most, by what it holds, and
    // what the car of one that ignores it draws.
    Checker::StationLimits may_draw();
    Checker::StationLimits ignoring();

    std::mt19937_64 rng_;
    TempDir dir_;
    Mosquitto broker_;
    TestModbusServer meter_, ems_;
    std::uint16_t ocpp_port_;
    std::string good_yaml_, config_;
    std::unique_ptr<ChildProcess> fuseguard_;
    std::string log_;
    std::vector<Station> stations_;
    std::mutex stations_mutex_;  // the checker reads stations_[i].link while a reconnection swaps it
    std::array<double, 3> load_{4, 5, 6}, reserved_{2, 2, 2};
    DeviceState meter_state_, ems_state_;
    Truth truth_;
    std::vector<std::pair<Clock::time_point, Action>> due_;
    bool broker_down_ = false, killed_ = false, crashed_ = false;
    int step_ = 0, starts_ = 0, disobeyed_ = 0;
    std::size_t busy_target_ = 8;
    std::ostringstream figures_;
    std::size_t most_open_files_ = 0;
    Checker checker_{[this] { return may_draw(); }, [this] { return ignoring(); }, truth_};  // last: stopped before the stations go
};

}  // namespace fuseguard::test::soak
