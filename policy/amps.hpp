#pragma once
// Currents are integers of milliamperes so that the safety rule is checked
// exactly: a float sum of a thousand limits may round the wrong way.
#include <array>
#include <compare>
#include <cstdint>
#include <string>

#include "phase.hpp"

namespace fuseguard::policy {

// a / b as C++ rounds it (towards zero). Currents in milliamperes nearly
// always fit in 32 bits, and a 32-bit division is the faster one (two to
// three times on older x86 cores): the allocator divides once or twice per
// station.
constexpr std::int64_t quotient(std::int64_t a, std::int64_t b) {
    if (((static_cast<std::uint64_t>(a) | static_cast<std::uint64_t>(b)) >> 32) == 0)
        return static_cast<std::uint32_t>(a) / static_cast<std::uint32_t>(b);
    return a / b;
}
// a / b rounded towards minus infinity, for b > 0.
constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    if (a >= 0) return quotient(a, b);
    const std::int64_t q = a / b;
    return a % b != 0 ? q - 1 : q;
}

class Amps {
public:
    constexpr Amps() = default;
    static constexpr Amps milli(std::int64_t ma) { Amps a; a.ma_ = ma; return a; }
    static constexpr Amps whole(std::int64_t a) { return milli(a * 1000); }
    // Loads and deductions round up, limits round down: both err towards the fuse.
    static Amps round_up(double amps);
    static Amps round_down(double amps);

    constexpr std::int64_t milliamps() const { return ma_; }
    constexpr double amps() const { return static_cast<double>(ma_) / 1000.0; }
    // Largest multiple of `step` not above this value (limits are sent in 0.1 A).
    constexpr Amps floor_to(Amps step) const { return milli(floor_div(ma_, step.ma_) * step.ma_); }
    constexpr Amps ceil_to(Amps step) const { return -((-*this).floor_to(step)); }
    // Whole steps in this value, rounded down or up: one division each.
    constexpr std::int64_t steps_below(Amps step) const { return floor_div(ma_, step.ma_); }
    constexpr std::int64_t steps_above(Amps step) const { return -floor_div(-ma_, step.ma_); }

    constexpr Amps operator-() const { return milli(-ma_); }
    constexpr Amps operator+(Amps o) const { return milli(ma_ + o.ma_); }
    constexpr Amps operator-(Amps o) const { return milli(ma_ - o.ma_); }
    constexpr Amps operator*(std::int64_t k) const { return milli(ma_ * k); }
    constexpr Amps& operator+=(Amps o) { ma_ += o.ma_; return *this; }
    constexpr Amps& operator-=(Amps o) { ma_ -= o.ma_; return *this; }
    constexpr auto operator<=>(const Amps&) const = default;

private:
    std::int64_t ma_ = 0;
};

constexpr Amps max(Amps a, Amps b) { return a < b ? b : a; }
constexpr Amps min(Amps a, Amps b) { return a < b ? a : b; }

// "32 A", "6.5 A", "0.125 A": as few decimals as the value needs.
std::string format(Amps a);

// One value per site phase, indexed by Phase.
class PhaseCurrents {
public:
    constexpr PhaseCurrents() = default;
    static constexpr PhaseCurrents uniform(Amps a) { PhaseCurrents p; p.v_ = {a, a, a}; return p; }
    // `a` on every phase of `set`, zero elsewhere.
    static constexpr PhaseCurrents on(PhaseSet set, Amps a) {
        // Built in one go, not phase by phase: the allocator calls this per
        // station and the piecewise form stalled on store forwarding.
        PhaseCurrents p;
        p.v_ = {set.contains(Phase::L1) ? a : Amps{}, set.contains(Phase::L2) ? a : Amps{},
                set.contains(Phase::L3) ? a : Amps{}};
        return p;
    }
    constexpr Amps& operator[](Phase p) { return v_[index(p)]; }
    constexpr const Amps& operator[](Phase p) const { return v_[index(p)]; }
    constexpr PhaseCurrents& operator+=(const PhaseCurrents& o) {
        for (std::size_t i = 0; i < 3; ++i) v_[i] += o.v_[i];
        return *this;
    }
    constexpr PhaseCurrents operator+(const PhaseCurrents& o) const { PhaseCurrents r = *this; r += o; return r; }
    constexpr Amps peak() const { return max(v_[0], max(v_[1], v_[2])); }
    constexpr bool operator==(const PhaseCurrents&) const = default;

private:
    std::array<Amps, 3> v_{};
};

PhaseCurrents elementwise_max(const PhaseCurrents& a, const PhaseCurrents& b);
// "6 A on L1 L2 L3", "50 A on L2", "10/12/9 A on L1/L2/L3".
std::string format(const PhaseCurrents& c);

}  // namespace fuseguard::policy
