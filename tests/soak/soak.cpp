// The soak: its schedule of steps, and what the checker reads of the stations.
#include "soak.hpp"

#include <csignal>
#include <filesystem>
#include <thread>

namespace fuseguard::test::soak {

Soak::Soak(std::uint64_t seed) : rng_(seed), ocpp_port_(free_port()) {
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

Soak::~Soak() {
    stop_checker();
    if (fuseguard_) {
        fuseguard_->signal(SIGKILL);
        fuseguard_->wait_exit(5s);
    }
}

bool Soak::bring_up() {
    for (auto& s : stations_) {
        s.link = std::make_unique<AutoStation>(s.id, ocpp_port_);
        s.link->boot();
        s.link->status(1, "Available");
    }
    for (auto& s : stations_)
        if (!s.link->wait_calls("SetChargingProfile", [](const auto& c) { return !c.empty(); }, 30s)) return false;
    return true;
}

void Soak::step(int n) {
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
    report_ignoring();
    wait_a_little();
}

void Soak::settle() {
    // Stations that ignore their profiles go on reporting until they obey
    // again: only their reports can give them away.
    for (int i = 0; !due_.empty(); ++i) {
        std::this_thread::sleep_for(10ms);
        run_due();
        if (i % 20 == 0) report_ignoring();
    }
    for (int i = 0; i < 300; ++i) {
        run_due();
        reconnect_lost();
        std::this_thread::sleep_for(10ms);
    }
}

int Soak::stop_fuseguard() {
    fuseguard_->signal(SIGTERM);
    const auto code = fuseguard_->wait_exit(15s);
    fuseguard_->read_available();
    log_ += fuseguard_->output();
    fuseguard_.reset();
    return code.value_or(-1);
}

std::string Soak::log_tail() const {
    const std::string all = log_ + (fuseguard_ ? fuseguard_->output() : "");
    std::string tail = all.substr(all.size() > 6000 ? all.size() - 6000 : 0);
    // A sanitizer's report starts with what went wrong and where; its stack
    // of Asio templates alone fills the tail. Its head comes first.
    for (const char* mark : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:", "terminate called"})
        if (const auto at = all.find(mark); at != std::string::npos && at + 6000 < all.size())
            return "the first report:\n" + all.substr(at > 1000 ? at - 1000 : 0, 7000) + "\n[...]\n" + tail;
    return tail;
}

std::size_t Soak::found_ignoring() const {
    const std::string all = whole_log();
    std::size_t n = 0;
    for (auto at = all.find(" ignores its limit ("); at != std::string::npos; at = all.find(" ignores its limit (", at + 1)) ++n;
    return n;
}

void Soak::later(double seconds, Action a) {
    due_.push_back({Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds)),
                    std::move(a)});
}

void Soak::run_due() {
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

void Soak::wait_a_little() {
    const auto until = Clock::now() + std::chrono::milliseconds(std::uniform_int_distribution<int>(20, 300)(rng_));
    while (Clock::now() < until) {
        run_due();
        reconnect_lost();
        std::this_thread::sleep_for(10ms);
    }
}

Checker::StationLimits Soak::may_draw() {
    Checker::StationLimits most{};
    std::lock_guard lock(stations_mutex_);
    for (std::size_t i = 0; i < stations_.size(); ++i) most[i] = stations_[i].link->may_draw_now(kCapacity);
    return most;
}

Checker::StationLimits Soak::ignoring() {
    Checker::StationLimits draws{};
    std::lock_guard lock(stations_mutex_);
    for (std::size_t i = 0; i < stations_.size(); ++i)
        if (stations_[i].disobeying && stations_[i].charging) draws[i] = stations_[i].car_max_a;
    return draws;
}

}  // namespace fuseguard::test::soak
