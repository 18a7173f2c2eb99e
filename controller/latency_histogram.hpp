#pragma once
// How long a piece of the controller's work takes (a re-plan, a publication),
// kept as a Prometheus histogram for /metrics: fixed buckets, a sum and a
// count. Measured with the real steady clock whatever clock the controller
// reads (a simulation's time says nothing about the work's cost).
#include <array>
#include <chrono>
#include <cstdint>

namespace fuseguard::controller {

class LatencyHistogram {
public:
    // Upper bounds in seconds, from 50 µs to half a second: a re-plan of a
    // small site takes tens of microseconds, one of 5,000 stations a few ms.
    static constexpr std::array<double, 12> kBounds = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                       0.005,   0.01,   0.025,   0.05,   0.1,   0.5};

    void observe(std::chrono::steady_clock::duration took) {
        const double s = std::chrono::duration<double>(took).count();
        for (std::size_t i = 0; i < kBounds.size(); ++i)
            if (s <= kBounds[i]) ++counts_[i];
        sum_ += s;
        ++count_;
    }
    // Observations at or under kBounds[i] (cumulative, as the format wants).
    std::uint64_t at_most(std::size_t i) const { return counts_[i]; }
    std::uint64_t count() const { return count_; }
    double sum_seconds() const { return sum_; }

    // Observes the time from its construction to its end.
    class Timer {
    public:
        explicit Timer(LatencyHistogram& h) : h_(h), start_(std::chrono::steady_clock::now()) {}
        ~Timer() { h_.observe(std::chrono::steady_clock::now() - start_); }
        Timer(const Timer&) = delete;
        Timer& operator=(const Timer&) = delete;

    private:
        LatencyHistogram& h_;
        std::chrono::steady_clock::time_point start_;
    };

private:
    std::array<std::uint64_t, kBounds.size()> counts_{};
    std::uint64_t count_ = 0;
    double sum_ = 0;
};

}  // namespace fuseguard::controller
