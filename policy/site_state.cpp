#include "site_state.hpp"

namespace fuseguard::policy {

PhaseCurrents StationInput::measured_on_site(Amps cap) const {
    PhaseCurrents out;
    if (!measured) return out;
    for (Phase terminal : kAllPhases) {
        if (static_cast<int>(index(terminal)) >= phase_count) break;
        Amps v = (*measured)[index(terminal)];
        out[rotation.site_phase(terminal)] += min(max(v, Amps{}), cap);
    }
    return out;
}

Amps StationInput::measured_peak() const {
    if (!measured) return Amps{};
    Amps peak{};
    for (int i = 0; i < phase_count && i < 3; ++i) peak = max(peak, (*measured)[static_cast<std::size_t>(i)]);
    return peak;
}

}  // namespace fuseguard::policy
