// A randomized end-to-end fault soak (issue 17; label soak; docs/testing.md).
//
// The real binary with a real mosquitto, real Modbus servers for the grid
// meter and the EMS, and 50 AutoStations (tests/controller/auto_station.hpp,
// which keep their charging profiles with the same engine as a station:
// HeldProfiles). A seeded schedule of faults runs against them: stations
// dropping and reconnecting, rebooting, falling silent, refusing profiles,
// answering them late or accepting and ignoring them, sending garbage, cars
// coming and going; the
// meter and the EMS going mute, refusing or answering garbage (all ones,
// NaN, infinity, a negative current); the building load and the EMS's
// reservation moving;
// the broker restarting; SIGHUP with good and broken files; fuseguard
// killed with SIGKILL and started again.
//
// A checker thread looks every 10 ms at what could flow through the fuse,
// from the devices' side and not from fuseguard's: what each station may
// draw under the profiles it holds (kept across its reconnections, as a real
// station keeps them), plus the true building load and the EMS's true
// reservation. A rise of those two counts only after kReaction, the time
// any controller needs to see it and lower the stations. A station that
// accepts its profiles and ignores them (its car draws what it wants) adds
// what it draws beyond them once fuseguard could have found it from its
// reports (kDetection). Any phase over the fuse is a violation.
//
//   FUSEGUARD_SOAK_SEED=S    replays the schedule of a run (the seed is printed)
//   FUSEGUARD_SOAK_STEPS=N   steps (default 300; docs/testing.md for the long mode)
//   FUSEGUARD_SOAK_LOG=F     writes fuseguard's whole log to F at the end
#include <doctest/doctest.h>

#include <array>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "common/child_process.hpp"
#include "common/proc_status.hpp"
#include "common/temp_dir.hpp"
#include "controller/auto_station.hpp"
#include "controller/mqtt_fixture.hpp"
#include "modbus/test_server.hpp"
#include "soak_checker.hpp"
#include "soak_site.hpp"

using namespace fuseguard;
using namespace fuseguard::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

using namespace fuseguard::test::soak;

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
    explicit Soak(std::uint64_t seed) : rng_(seed), ocpp_port_(free_port()) {
        meter_.set_holding(100, tenths(load_));
        serve_reservation();
        truth_.set(load_, reserved_);
        std::filesystem::create_directories(dir_.path / "state");
        good_yaml_ = site_yaml(meter_.port(), ems_.port(), broker_.port(), ocpp_port_, (dir_.path / "state").string());
        config_ = dir_.write("site.yaml", good_yaml_);
        start_fuseguard();
        stations_.resize(kStations);
        for (int i = 0; i < kStations; ++i) stations_[static_cast<std::size_t>(i)].id = station_id(i);
    }
    ~Soak() {
        stop_checker();
        if (fuseguard_) {
            fuseguard_->signal(SIGKILL);
            fuseguard_->wait_exit(5s);
        }
    }

    // Every station connected, booted and given a limit: from here on, what
    // they hold is fuseguard's doing.
    bool bring_up() {
        for (auto& s : stations_) {
            s.link = std::make_unique<AutoStation>(s.id, ocpp_port_);
            s.link->boot();
            s.link->status(1, "Available");
        }
        for (auto& s : stations_)
            if (!s.link->wait_calls("SetChargingProfile", [](const auto& c) { return !c.empty(); }, 30s)) return false;
        return true;
    }

    void start_checker() { checker_.start(); }
    void stop_checker() { checker_.stop(); }

    void step(int n) {
        step_ = n;
        checker_.at_step(n);
        run_due();
        if (n % 50 == 0 && fuseguard_ && !killed_) note_resources();
        if (n % 50 == 1) busy_target_ = std::uniform_int_distribution<std::size_t>(2, 16)(rng_);
        // Faults are the exception: most steps are cars coming and going and
        // stations reporting, so that the fuse is contended between them.
        const int pick = std::uniform_int_distribution<int>(0, 99)(rng_);
        if (pick < 4) drop_station();
        else if (pick < 5) reboot_station();
        else if (pick < 8) silence_station();
        else if (pick < 10) reject_profiles();
        else if (pick < 12) slow_profiles();
        else if (pick < 15) garbage_from_station();
        else if (pick < 40) car_comes_or_goes();
        else if (pick < 44) device_fault(meter_, 100, meter_state_, [this] { meter_garbage(); });
        else if (pick < 47) device_fault(ems_, 200, ems_state_, [this] { ems_garbage(); });
        else if (pick < 55) move_building_load();
        else if (pick < 58) move_reservation();
        else if (pick < 60) restart_broker();
        else if (pick < 62) reload(true);
        else if (pick < 64) reload(false);
        else if (pick < 65) kill_fuseguard();
        else if (pick < 67) disobey_profiles();
        for (int i = 0; i < 4; ++i) report_draw(any_station());  // stations report every few seconds each
        for (auto& s : stations_)
            if (s.disobeying) report_draw(s);
        wait_a_little();
    }

    // Everything back to normal, then a last look.
    void settle() {
        while (!due_.empty()) {
            std::this_thread::sleep_for(10ms);
            run_due();
        }
        for (int i = 0; i < 300; ++i) {
            run_due();
            reconnect_lost();
            std::this_thread::sleep_for(10ms);
        }
    }

    int stop_fuseguard() {
        fuseguard_->signal(SIGTERM);
        const auto code = fuseguard_->wait_exit(15s);
        fuseguard_->read_available();
        log_ += fuseguard_->output();
        fuseguard_.reset();
        return code.value_or(-1);
    }

    std::vector<std::string> violations() { return checker_.violations(); }
    std::size_t checks() const { return checker_.checks(); }
    double closest() const { return checker_.closest(); }
    std::string log_tail() const {
        const std::string all = log_ + (fuseguard_ ? fuseguard_->output() : "");
        return all.substr(all.size() > 6000 ? all.size() - 6000 : 0);
    }
    std::string figures() const { return figures_.str(); }
    std::string whole_log() const { return log_ + (fuseguard_ ? fuseguard_->output() : ""); }
    bool fuseguard_crashed() const { return crashed_; }
    std::size_t most_open_files() const { return most_open_files_; }
    // Stations that ignored their profiles for a while, and how often fuseguard said one did.
    int disobeyed() const { return disobeyed_; }
    std::size_t found_ignoring() const {
        const std::string all = whole_log();
        std::size_t n = 0;
        for (auto at = all.find(" ignores its limit ("); at != std::string::npos; at = all.find(" ignores its limit (", at + 1)) ++n;
        return n;
    }

private:
    using Action = std::function<void()>;
    struct DeviceState {
        bool faulty = false;
    };

    double uniform(double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng_); }
    Station& any_station() { return stations_[std::uniform_int_distribution<std::size_t>(0, stations_.size() - 1)(rng_)]; }
    void later(double seconds, Action a) {
        due_.push_back({Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds)),
                        std::move(a)});
    }
    void run_due() {
        const auto now = Clock::now();
        for (std::size_t i = 0; i < due_.size();) {
            if (due_[i].first <= now) {
                auto a = std::move(due_[i].second);
                due_.erase(due_.begin() + static_cast<long>(i));
                a();
            } else {
                ++i;
            }
        }
        if (fuseguard_) {
            fuseguard_->read_available();  // its log must not fill the pipe
            if (!fuseguard_->running() && !killed_) crashed_ = true;
        }
    }
    void wait_a_little() {
        const auto until = Clock::now() + std::chrono::milliseconds(std::uniform_int_distribution<int>(20, 300)(rng_));
        while (Clock::now() < until) {
            run_due();
            reconnect_lost();
            std::this_thread::sleep_for(10ms);
        }
    }

    // --- stations ---------------------------------------------------------
    void reconnect_lost() {
        const auto now = Clock::now();
        for (auto& s : stations_) {
            if (!s.link) continue;
            if (!s.link->connected() && !s.reconnect_at)
                s.reconnect_at = now + std::chrono::milliseconds(std::uniform_int_distribution<int>(200, 2000)(rng_));
            if (s.reconnect_at && *s.reconnect_at <= now) connect_again(s);
        }
    }
    void connect_again(Station& s) {
        s.reconnect_at.reset();
        s.link->close();
        std::unique_ptr<AutoStation> fresh;
        try {
            fresh = std::make_unique<AutoStation>(s.id, ocpp_port_, s.link.get());
        } catch (const std::exception&) {
            s.reconnect_at = Clock::now() + 500ms;  // fuseguard is not there: try again
            return;
        }
        if (s.rejecting) fresh->set_answer("SetChargingProfile", "Rejected");
        if (s.slow) fresh->set_answer_delay("SetChargingProfile", kSlowAnswer);
        fresh->boot();
        if (std::exchange(s.rebooting, false) && s.charging) {
            fresh->status(1, "Preparing");
            fresh->start_transaction();
            s.suspended = false;
            fresh->status(1, "Charging");
        } else {
            fresh->status(1, !s.charging ? "Available" : s.suspended ? "SuspendedEVSE" : "Charging");
        }
        std::unique_ptr<AutoStation> old;
        {
            std::lock_guard lock(stations_mutex_);
            old = std::exchange(s.link, std::move(fresh));
        }
    }
    void drop_station() {
        auto& s = any_station();
        if (!s.link->connected() || s.reconnect_at || s.disobeying) return;
        s.link->close();
        // Mostly back within seconds; a third stay away past their failsafe
        // step-down (5 s after the last renewal, plus the vehicle's response).
        const bool long_gone = std::uniform_int_distribution<int>(0, 2)(rng_) == 0;
        s.reconnect_at = Clock::now() + std::chrono::milliseconds(long_gone ? std::uniform_int_distribution<int>(8000, 20000)(rng_)
                                                                             : std::uniform_int_distribution<int>(300, 3000)(rng_));
    }
    // A station restarting (a firmware update, its watchdog): the charge
    // ends with it and its transaction's profile goes, the profiles for the
    // station stay (OCPP keeps them across a reboot), and it is back after
    // 2-10 s with the car starting a new transaction.
    void reboot_station() {
        auto& s = any_station();
        if (!s.link->connected() || s.reconnect_at || s.disobeying) return;
        if (s.charging) s.link->stop_transaction();
        s.link->close();
        s.rebooting = true;
        s.reconnect_at = Clock::now() + std::chrono::milliseconds(std::uniform_int_distribution<int>(2000, 10000)(rng_));
    }
    void silence_station() {
        auto& s = any_station();
        if (!s.link->connected() || s.reconnect_at || s.disobeying) return;
        s.link->go_deaf();  // connected, answering nothing: fuseguard must find it lost
        s.reconnect_at = Clock::now() + std::chrono::milliseconds(std::uniform_int_distribution<int>(1000, 6000)(rng_));
    }
    void reject_profiles() {
        auto& s = any_station();
        if (s.rejecting) return;
        s.rejecting = true;
        s.link->set_answer("SetChargingProfile", "Rejected");
        later(uniform(1, 5), [&s] {
            s.rejecting = false;
            s.link->set_answer("SetChargingProfile", "Accepted");
        });
    }
    // A station busy writing its profiles to flash answers each one late;
    // it may apply it before it answers (AutoStation::may_draw_now).
    void slow_profiles() {
        auto& s = any_station();
        if (s.slow) return;
        s.slow = true;
        s.link->set_answer_delay("SetChargingProfile", kSlowAnswer);
        later(uniform(2, 8), [&s] {
            s.slow = false;
            s.link->set_answer_delay("SetChargingProfile", 0ms);
        });
    }
    // A station that accepts every profile and lets the car draw what it
    // wants (go-eCharger API issue 249, evcc issue 31597), for a while. It
    // stays connected meanwhile: gone before its reports gave it away, it
    // could draw anything and no controller would know.
    // One with a car, where it matters.
    void disobey_profiles() {
        std::vector<Station*> candidates;
        for (auto& c : stations_)
            if (c.charging && !c.disobeying && c.link->connected() && !c.reconnect_at) candidates.push_back(&c);
        if (candidates.empty()) return;
        auto& s = *candidates[std::uniform_int_distribution<std::size_t>(0, candidates.size() - 1)(rng_)];
        ++disobeyed_;
        {
            std::lock_guard lock(stations_mutex_);
            s.disobeying = true;
        }
        const double seconds = uniform(8, 30);
        figures_ << "step " << step_ << ": " << s.id << " ignores its profiles for " << std::lround(seconds) << " s; "
                 << (s.charging ? "its car takes " + std::to_string(std::lround(s.car_max_a)) + " A" : "no car")
                 << ", it holds " << s.link->allowed_now(kCapacity) << " A\n";
        later(seconds, [this, &s] {
            std::lock_guard lock(stations_mutex_);
            s.disobeying = false;
        });
    }
    void garbage_from_station() {
        static const std::array<const char*, 6> kGarbage = {
            "not json", "[2]", R"([2,"g1","MeterValues",{"connectorId":"x"}])", R"([3,"nobody",{}])",
            R"([2,"g2","StatusNotification",{"connectorId":1,"status":"Exploding","errorCode":"NoError"}])",
            "[9,9,9,9,9,9,9,9]"};
        any_station().link->send_raw(kGarbage[std::uniform_int_distribution<std::size_t>(0, kGarbage.size() - 1)(rng_)]);
    }
    // How many cars the site has varies over the run (busy_target_), so that
    // the limits range from the 6 A minimum to well above the fallback.
    void car_comes_or_goes() {
        std::size_t busy = 0;
        for (const auto& s : stations_) busy += s.charging;
        auto& s = any_station();
        if (!s.link->connected() || (!s.charging && busy >= busy_target_)) return;
        if (s.charging) {
            s.link->stop_transaction();
            s.link->status(1, "Available");
        } else {
            const double car_max_a = uniform(10, 32);
            std::lock_guard lock(stations_mutex_);  // the checker reads the car of a station that ignores its profiles
            s.car_max_a = car_max_a;
            s.suspended = false;
            s.link->status(1, "Preparing");
            s.link->start_transaction();
            s.link->status(1, "Charging");
        }
        std::lock_guard lock(stations_mutex_);
        s.charging = !s.charging;
    }
    // A car takes what it is offered, up to what it can take; at a station
    // that ignores its profiles, what it can take.
    void report_draw(Station& s) {
        if (!s.link->connected() || s.reconnect_at) return;
        const double offered = s.disobeying ? kCapacity : s.link->allowed_now(kCapacity);
        const double draws = s.charging && offered >= 6 ? std::min(offered, s.car_max_a) : 0;
        // Offered less than a car can take, the station says it suspended
        // the charge (SuspendedEVSE), and Charging again once offered enough.
        if (s.charging && (offered < 6) != s.suspended) {
            s.suspended = offered < 6;
            s.link->status(1, s.suspended ? "SuspendedEVSE" : "Charging");
        }
        s.link->send_meter_values(draws);
    }

    // --- meter, EMS, building -----------------------------------------------
    // A device going mute, refusing (server device failure), or answering
    // what no real load could be, for a few seconds.
    void device_fault(TestModbusServer& device, std::uint16_t address, DeviceState& state, const Action& garbage) {
        if (state.faulty) return;
        state.faulty = true;
        const int kind = std::uniform_int_distribution<int>(0, 2)(rng_);
        if (kind == 0) device.stop();
        else if (kind == 1) device.fail_address(address, 4);
        else garbage();
        later(uniform(0.5, 4), [this, &device, address, &state, kind] {
            if (kind == 0) device.start();
            else if (kind == 1) device.fail_address(address, 0);
            state.faulty = false;
            serve_truth();
        });
    }
    // The meter's registers are tenths of an ampere: all ones is 6553.5 A.
    void meter_garbage() { meter_.set_holding(100, {0xFFFF, 0xFFFF, 0xFFFF}); }
    // The EMS's are float32: NaN, infinity, negative or absurd, per phase.
    void ems_garbage() {
        static const std::array<float, 4> kGarbage = {std::numeric_limits<float>::quiet_NaN(),
                                                      std::numeric_limits<float>::infinity(), -7.5f, 1e9f};
        for (std::uint16_t p = 0; p < 3; ++p)
            ems_.set_float(false, static_cast<std::uint16_t>(200 + 2 * p),
                           kGarbage[std::uniform_int_distribution<std::size_t>(0, kGarbage.size() - 1)(rng_)]);
    }
    void serve_reservation() {
        for (std::uint16_t p = 0; p < 3; ++p)
            ems_.set_float(false, static_cast<std::uint16_t>(200 + 2 * p), static_cast<float>(reserved_[p]));
    }
    void serve_truth() {
        if (!meter_state_.faulty) meter_.set_holding(100, tenths(load_));
        if (!ems_state_.faulty) serve_reservation();
    }
    void move_building_load() {
        for (auto& a : load_) a = std::round(uniform(0, kMeterFallback) * 10) / 10;
        truth_.set(load_, reserved_);
        serve_truth();
    }
    void move_reservation() {
        for (auto& a : reserved_) a = std::round(uniform(0, kEmsFallback) * 10) / 10;
        truth_.set(load_, reserved_);
        serve_truth();
    }

    // --- broker, fuseguard ----------------------------------------------------
    void restart_broker() {
        if (broker_down_) return;
        broker_down_ = true;
        broker_.stop();
        later(uniform(0.5, 2), [this] {
            broker_.start();
            broker_down_ = false;
        });
    }
    void reload(bool good) {
        if (!fuseguard_ || killed_) return;
        if (good) {
            dir_.write("site.yaml", good_yaml_);
            fuseguard_->signal(SIGHUP);
            return;
        }
        // A broken file: fuseguard keeps what it runs with; the good file is back shortly.
        dir_.write("site.yaml", "site: { id: soak, fuse_limit_a: -5 }\nchargers: [\n");
        fuseguard_->signal(SIGHUP);
        later(0.5, [this] { dir_.write("site.yaml", good_yaml_); });
    }
    void kill_fuseguard() {
        if (!fuseguard_ || killed_) return;
        killed_ = true;
        fuseguard_->signal(SIGKILL);
        fuseguard_->wait_exit(5s);
        fuseguard_->read_available();
        log_ += fuseguard_->output() + "\n--- SIGKILL ---\n";
        later(uniform(0.2, 3), [this] {
            dir_.write("site.yaml", good_yaml_);
            start_fuseguard();
            killed_ = false;
        });
    }
    void start_fuseguard() {
        fuseguard_ = std::make_unique<ChildProcess>(std::vector<std::string>{FUSEGUARD_BINARY, "--config", config_});
        if (!fuseguard_->wait_for("stations connect to", 15s)) throw std::runtime_error(fuseguard_->output());
        ++starts_;
        note_resources();
    }
    void note_resources() {
        const auto pid = fuseguard_->pid();
        const std::size_t files = open_files(pid);
        most_open_files_ = std::max(most_open_files_, files);
        figures_ << "step " << step_ << ": RSS " << rss_kib(pid) << " kB, " << files << " files";
        std::size_t busy = 0;
        std::ostringstream held;
        for (const auto& s : stations_) {
            busy += s.charging;
            if (s.link) held << " " << s.link->allowed_now(kCapacity) << (s.charging ? "c" : "");
        }
        figures_ << ", " << busy << " cars; held:" << held.str() << "\n";
    }

    // What the checker reads: each station's most, by what it holds, and
    // what the car of one that ignores it draws.
    Checker::StationLimits may_draw() {
        Checker::StationLimits most{};
        std::lock_guard lock(stations_mutex_);
        for (std::size_t i = 0; i < stations_.size(); ++i) most[i] = stations_[i].link->may_draw_now(kCapacity);
        return most;
    }
    Checker::StationLimits ignoring() {
        Checker::StationLimits draws{};
        std::lock_guard lock(stations_mutex_);
        for (std::size_t i = 0; i < stations_.size(); ++i)
            if (stations_[i].disobeying && stations_[i].charging) draws[i] = stations_[i].car_max_a;
        return draws;
    }

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

}  // namespace

TEST_SUITE("Soak") {
    TEST_CASE("soak: random faults never let what the stations hold and the building draw exceed a fuse phase") {
        const std::uint64_t seed = env_or("FUSEGUARD_SOAK_SEED", std::random_device{}());
        const int steps = static_cast<int>(env_or("FUSEGUARD_SOAK_STEPS", 300));
        MESSAGE("soak seed " << seed << ", " << steps << " steps (replay: FUSEGUARD_SOAK_SEED=" << seed << ")");
        Soak soak(seed);
        REQUIRE(soak.bring_up());
        soak.start_checker();
        for (int i = 1; i <= steps && !soak.fuseguard_crashed(); ++i) soak.step(i);
        soak.settle();
        soak.stop_checker();

        INFO("seed " << seed);
        INFO(soak.log_tail());
        CHECK_FALSE(soak.fuseguard_crashed());
        const auto violations = soak.violations();
        for (const auto& v : violations) MESSAGE(v);
        CHECK(violations.empty());
        CHECK(soak.checks() > static_cast<std::size_t>(steps));
        MESSAGE("checks: " << soak.checks() << ", the most that could flow on a phase: " << soak.closest() << " A of "
                           << kFuse << "; stations ignoring their profiles: " << soak.disobeyed() << ", found "
                           << soak.found_ignoring() << " times\n" << soak.figures());
        CHECK(soak.most_open_files() < kStations + 100);
        CHECK(soak.stop_fuseguard() == 0);
        if (const char* path = std::getenv("FUSEGUARD_SOAK_LOG"); path && *path) std::ofstream(path) << soak.whole_log();
    }
}
