#pragma once
// The soak's site (test_soak.cpp): its configuration and constants, and the
// truth the checker compares with: the building load and the EMS's
// reservation as they really are, not as fuseguard reads them.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace fuseguard::test::soak {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

inline constexpr double kFuse = 100;
inline constexpr double kCapacity = 32;
inline constexpr double kMeterFallback = 10, kEmsFallback = 5;  // the truth never exceeds them: a valid installation
inline constexpr auto kReaction = 3s;
// A station that ignores its profiles is found from its draw
// (controller/limit_obeyed.cpp): a report above every limit it held within a
// vehicle's response time (5 s), once it has held one for that long, and
// another at least 5 s later. A car that arrives at such a station begins
// to draw before its first limit: about 10 s after it, plus a report (every
// step, a fraction of a second, while it ignores them), plus a plan and the
// other stations' answers (some late: kSlowAnswer), fuseguard has made room.
// What it draws beyond its profiles counts from this long after it began.
inline constexpr auto kDetection = 15s;
// What fuseguard lets a station draw above its limit before it counts as
// ignoring it (vehicles draw a little above the pilot signal, station meters
// are not exact): below that, nobody could tell it from noise.
inline double ignore_tolerance(double limit_a) { return 2.0 + 0.05 * limit_a; }
inline constexpr int kStations = 50;
inline constexpr auto kSlowAnswer = 800ms;  // a station writing its profiles to flash

inline std::uint64_t env_or(const char* name, std::uint64_t otherwise) {
    const char* v = std::getenv(name);
    return v && *v ? std::strtoull(v, nullptr, 10) : otherwise;
}

inline std::string station_id(int i) { return (i < 9 ? "S0" : "S") + std::to_string(i + 1); }

inline std::string site_yaml(std::uint16_t meter, std::uint16_t ems, std::uint16_t mqtt, std::uint16_t ocpp,
                      const std::string& state_dir) {
    std::string y = "site: { id: soak, fuse_limit_a: 100 }\n"
                    "policy: { min_current_a: 6 }\n"
                    "meters:\n"
                    "  - id: grid\n"
                    "    measures: non_ev\n"
                    "    modbus: { host: 127.0.0.1, port: " + std::to_string(meter) + ", timeout_s: 0.2 }\n"
                    "    registers: { current_a: { address: 100, scale: 0.1, per_phase: true } }\n"
                    "    poll_interval_s: 0.2\n"
                    "    offline_after_s: 1\n"
                    "    fallback_a: 10\n"
                    "ems:\n"
                    "  - id: bms\n"
                    "    modbus: { host: 127.0.0.1, port: " + std::to_string(ems) + ", timeout_s: 0.2 }\n"
                    "    registers: { reserved_current_a: { address: 200, type: float32, per_phase: true } }\n"
                    "    poll_interval_s: 0.2\n"
                    "    offline_after_s: 1\n"
                    "    fallback_a: 5\n"
                    "chargers:\n";
    for (int i = 0; i < kStations; ++i)
        y += "  - { id: " + station_id(i) + ", max_current_a: 32, fallback_current_a: 6 }\n";
    y += "ocpp: { listen: 127.0.0.1:" + std::to_string(ocpp) +
         ", ping_interval_s: 1, offline_after_s: 2, failsafe_after_s: 5, profile_eval_delay_s: 0 }\n"
         "mqtt: { broker: tcp://127.0.0.1:" + std::to_string(mqtt) + ", topic_prefix: soak }\n"
         "state_dir: " + state_dir + "\n";
    return y;
}

inline std::vector<std::uint16_t> tenths(const std::array<double, 3>& amps) {
    return {static_cast<std::uint16_t>(amps[0] * 10), static_cast<std::uint16_t>(amps[1] * 10),
            static_cast<std::uint16_t>(amps[2] * 10)};
}

// The least of each of N values over the last `window`: a rise counts once
// that long has passed (what a controller could have seen and acted on by
// then), a fall at once. Not thread-safe: its owner locks.
template <std::size_t N>
class LeastOver {
public:
    using Values = std::array<double, N>;
    explicit LeastOver(Clock::duration window) : window_(window) {}
    void push(Clock::time_point at, const Values& v) { history_.push_back({at, v}); }
    // From `at` on, as if every value had been 0 until then.
    void restart(Clock::time_point at) { history_.assign(1, {at, Values{}}); }
    Values least(Clock::time_point now) {
        while (history_.size() > 1 && history_[1].first <= now - window_) history_.pop_front();
        Values least = history_.back().second;
        for (const auto& [at, v] : history_)
            for (std::size_t i = 0; i < N; ++i) least[i] = std::min(least[i], v[i]);
        return least;
    }

private:
    Clock::duration window_;
    std::deque<std::pair<Clock::time_point, Values>> history_;
};

// What is physically there, and what fuseguard could know of it by now.
class Truth {
public:
    void set(const std::array<double, 3>& load, const std::array<double, 3>& ems) {
        std::lock_guard lock(mutex_);
        history_.push(Clock::now(), {load[0], load[1], load[2], ems[0], ems[1], ems[2]});
    }
    // Per phase: the building load and the EMS's reservation, each the least
    // over the last kReaction (a rise counts once a controller could have
    // acted on it; a fall at once).
    std::array<double, 3> effective() {
        std::lock_guard lock(mutex_);
        const auto v = history_.least(Clock::now());
        return {v[0] + v[3], v[1] + v[4], v[2] + v[5]};
    }

private:
    std::mutex mutex_;
    LeastOver<6> history_{kReaction};  // load L1-L3, then the EMS's L1-L3
};

}  // namespace fuseguard::test::soak
