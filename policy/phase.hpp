#pragma once
// Site phases, the set of phases a station loads, and how a station's own
// L1/L2/L3 terminals are wired onto the site's phases.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fuseguard::policy {

enum class Phase : std::uint8_t { L1 = 0, L2 = 1, L3 = 2 };
inline constexpr std::array<Phase, 3> kAllPhases{Phase::L1, Phase::L2, Phase::L3};
constexpr std::size_t index(Phase p) { return static_cast<std::size_t>(p); }
std::string_view name(Phase p);

class PhaseSet {
public:
    constexpr PhaseSet() = default;
    static constexpr PhaseSet all() { PhaseSet s; s.bits_ = 0b111; return s; }
    static constexpr PhaseSet of(Phase p) { PhaseSet s; s.insert(p); return s; }
    constexpr void insert(Phase p) { bits_ = static_cast<std::uint8_t>(bits_ | (1u << index(p))); }
    constexpr bool contains(Phase p) const { return (bits_ >> index(p)) & 1u; }
    constexpr int size() const { return (bits_ & 1) + ((bits_ >> 1) & 1) + ((bits_ >> 2) & 1); }
    constexpr bool empty() const { return bits_ == 0; }
    constexpr std::uint8_t bits() const { return bits_; }
    constexpr bool operator==(const PhaseSet&) const = default;

private:
    std::uint8_t bits_ = 0;
};
// "L1 L2 L3", "L2".
std::string format(PhaseSet s);

// The site phase each station terminal (L1, L2, L3) is connected to.
class PhaseRotation {
public:
    constexpr PhaseRotation() = default;
    // Accepts the six orders of L1L2L3 ("L2L3L1", ...) and, for one-phase
    // stations, a single phase ("L2"), which is the phase its L1 uses.
    static std::optional<PhaseRotation> parse(std::string_view text, int phase_count);
    constexpr Phase site_phase(Phase station_terminal) const { return order_[index(station_terminal)]; }
    // Site phases a station with `phase_count` (1 or 3) phases loads.
    constexpr PhaseSet used(int phase_count) const {
        if (phase_count >= 3) return PhaseSet::all();
        return PhaseSet::of(order_[0]);
    }

private:
    std::array<Phase, 3> order_{Phase::L1, Phase::L2, Phase::L3};
};

}  // namespace fuseguard::policy
