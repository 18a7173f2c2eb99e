#pragma once
// The soak's checker (test_soak.cpp): every 10 ms, what could flow through
// each fuse phase, from the devices' side and never from fuseguard's: what
// each station may draw under the profiles it holds, plus the building load
// and the EMS's reservation as they really are (Truth). A station that
// ignores its profiles adds what its car draws beyond them, once fuseguard
// could have found it (kDetection). Any phase over the fuse is a violation,
// kept with the step and each station's share.
#include <algorithm>
#include <array>
#include <atomic>
#include <functional>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "soak_site.hpp"

namespace fuseguard::test::soak {

class Checker {
public:
    using StationLimits = std::array<double, kStations>;
    // `may_draw`: the most each station may draw now under its profiles
    // (AutoStation::may_draw_now). `ignoring`: what the car of a station
    // that ignores them draws (0 for the others).
    Checker(std::function<StationLimits()> may_draw, std::function<StationLimits()> ignoring, Truth& truth)
        : may_draw_(std::move(may_draw)), ignoring_(std::move(ignoring)), truth_(truth) {}
    ~Checker() { stop(); }
    Checker(const Checker&) = delete;
    Checker& operator=(const Checker&) = delete;

    void start() {
        thread_ = std::thread([this] {
            while (!stop_) {
                check();
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
        });
    }
    void stop() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
    }
    // The step the schedule is at, for the reports.
    void at_step(int n) { step_ = n; }
    // fuseguard started again: what it had not found of the stations that
    // ignore their profiles, it must find again (what it had found, its
    // state_dir keeps), so their draw beyond them counts kDetection from now.
    void fuseguard_started() { restarted_ = true; }

    std::vector<std::string> violations() {
        std::lock_guard lock(mutex_);
        return violations_;
    }
    std::size_t checks() const { return checks_; }
    double closest() const { return closest_; }  // the most that could flow on any phase, at any check

private:
    void check() {
        // Twice, each station's least of the two: a lowering at one station
        // and the raise it made room for at another, seen in the wrong
        // order, are not an overload.
        const StationLimits first = may_draw_(), second = may_draw_(), ignoring = ignoring_();
        StationLimits least{}, beyond{};
        for (std::size_t i = 0; i < least.size(); ++i) {
            least[i] = std::min(first[i], second[i]);
            beyond[i] = std::max(0.0, ignoring[i] - least[i] - ignore_tolerance(least[i]));
        }
        beyond = noticed(beyond);
        double stations = 0;
        for (std::size_t i = 0; i < least.size(); ++i) stations += least[i] += beyond[i];
        const auto others = truth_.effective();
        ++checks_;
        for (int p = 0; p < 3; ++p) {
            const double total = stations + others[p];
            if (total > closest_) closest_ = total;
            if (total <= kFuse + 0.01) continue;
            std::ostringstream v;
            v << "step " << step_ << ", L" << p + 1 << ": stations may draw " << stations << " A + building and EMS "
              << others[p] << " A = " << total << " A over the " << kFuse << " A fuse; per station:";
            for (std::size_t i = 0; i < least.size(); ++i)
                if (least[i] > 0) v << " " << station_id(static_cast<int>(i)) << "=" << least[i];
            std::lock_guard lock(mutex_);
            if (violations_.size() < 20) violations_.push_back(v.str());
            return;
        }
    }

    // Per station, the least of what it drew beyond its profiles (and the
    // tolerance) over the last kDetection: a rise counts once fuseguard
    // could have found it and made room, a fall at once.
    StationLimits noticed(const StationLimits& now) {
        const auto at = Clock::now();
        if (restarted_.exchange(false)) beyond_.restart(at);
        beyond_.push(at, now);
        return beyond_.least(at);
    }

    std::function<StationLimits()> may_draw_, ignoring_;
    Truth& truth_;
    LeastOver<kStations> beyond_{kDetection};  // the checker thread's alone
    std::atomic<bool> restarted_{false};
    std::atomic<int> step_{0};
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::atomic<std::size_t> checks_{0};
    std::atomic<double> closest_{0};
    std::mutex mutex_;
    std::vector<std::string> violations_;  // the first 20
};

}  // namespace fuseguard::test::soak
