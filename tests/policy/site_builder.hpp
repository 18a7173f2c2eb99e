#pragma once
// Small helpers to write policy tests in amperes and ids, not indices.
#include <stdexcept>

#include "policy/allocation.hpp"
#include "policy/fuse_tree.hpp"
#include "policy/site_state.hpp"

namespace fuseguard::policy::test {

inline Amps A(double a) { return Amps::round_down(a); }

inline StationInput station(std::string id, double max_a, std::optional<double> fallback_a = std::nullopt,
                            int phases = 3, std::string rotation = "L1L2L3") {
    StationInput s;
    s.id = std::move(id);
    s.phase_count = phases;
    s.rotation = *PhaseRotation::parse(rotation, phases);
    s.max_current = A(max_a);
    if (fallback_a) s.fallback = A(*fallback_a);
    s.fallback_trusted = true;  // its failsafe verified; the cases about unverified ones say so
    return s;
}

// Online, managed at `limit_a`, with a vehicle that wants current.
inline StationInput charging(StationInput s, double limit_a = 0) {
    s.state = DeviceState::Online;
    s.control = Control::Managed;
    s.limit_in_force = A(limit_a);
    s.limit_known = true;
    s.wants_current = true;
    return s;
}

inline const StationDecision& decision(const Allocation& a, const SiteState& site, std::string_view id) {
    for (std::size_t i = 0; i < site.stations.size(); ++i)
        if (site.stations[i].id == id) return a.stations[i];
    throw std::out_of_range(std::string(id));
}

}  // namespace fuseguard::policy::test
