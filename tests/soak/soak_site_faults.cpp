// The soak, part: the meter, the EMS, the building load, the broker, and
// fuseguard itself (reloads, SIGKILL).
#include "soak.hpp"

#include <cmath>
#include <csignal>
#include <limits>
#include <stdexcept>

#include "common/proc_status.hpp"

namespace fuseguard::test::soak {

void Soak::device_fault(TestModbusServer& device, std::uint16_t address, DeviceState& state, const Action& garbage) {
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

void Soak::ems_garbage() {
    static const std::array<float, 4> kGarbage = {std::numeric_limits<float>::quiet_NaN(),
                                                  std::numeric_limits<float>::infinity(), -7.5f, 1e9f};
    for (std::uint16_t p = 0; p < 3; ++p)
        ems_.set_float(false, static_cast<std::uint16_t>(200 + 2 * p),
                       kGarbage[std::uniform_int_distribution<std::size_t>(0, kGarbage.size() - 1)(rng_)]);
}

void Soak::serve_reservation() {
    for (std::uint16_t p = 0; p < 3; ++p)
        ems_.set_float(false, static_cast<std::uint16_t>(200 + 2 * p), static_cast<float>(reserved_[p]));
}

void Soak::serve_truth() {
    if (!meter_state_.faulty) meter_.set_holding(100, tenths(load_));
    if (!ems_state_.faulty) serve_reservation();
}

void Soak::move_building_load() {
    for (auto& a : load_) a = std::round(uniform(0, kMeterFallback) * 10) / 10;
    truth_.set(load_, reserved_);
    serve_truth();
}

void Soak::move_reservation() {
    for (auto& a : reserved_) a = std::round(uniform(0, kEmsFallback) * 10) / 10;
    truth_.set(load_, reserved_);
    serve_truth();
}

void Soak::restart_broker() {
    if (broker_down_) return;
    broker_down_ = true;
    broker_.stop();
    later(uniform(0.5, 2), [this] {
        broker_.start();
        broker_down_ = false;
    });
}

void Soak::reload(bool good) {
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

void Soak::kill_fuseguard() {
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

void Soak::start_fuseguard() {
    fuseguard_ = std::make_unique<ChildProcess>(std::vector<std::string>{FUSEGUARD_BINARY, "--config", config_});
    if (!fuseguard_->wait_for("stations connect to", 15s)) throw std::runtime_error(fuseguard_->output());
    ++starts_;
    checker_.fuseguard_started();
    note_resources();
}

void Soak::note_resources() {
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

}  // namespace fuseguard::test::soak
