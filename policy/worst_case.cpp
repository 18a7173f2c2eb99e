#include "worst_case.hpp"

#include <optional>

namespace fuseguard::policy {

WorstCase worst_case(const FuseTree& tree, const SiteState& site) {
    SiteState offline = site;
    for (auto& s : offline.stations) s.state = DeviceState::Offline;
    for (auto& m : offline.meters) m.state = DeviceState::Offline;
    for (auto& e : offline.ems) e.state = DeviceState::Offline;
    const auto deductions = current_deductions(tree, offline);
    const auto loads = node_loads(tree, deductions);

    WorstCase out;
    out.remaining.resize(tree.size());
    for (std::uint32_t n = 0; n < tree.size(); ++n) {
        const Amps cap = capacity(tree, NodeId{n}, site.settings);
        for (Phase p : kAllPhases) out.remaining[n][p] = cap - loads[n].total()[p];
    }
    for (std::uint32_t i = 0; i < offline.stations.size(); ++i) {
        const StationInput& s = offline.stations[i];
        if (s.max_current < site.settings.min_current) continue;  // never charges; config warns apart
        // Its own fallback is replaced by what it would charge at.
        const PhaseCurrents own = station_deduction(s, i, site.settings).current;
        std::optional<StarvedStation> tightest;
        for (NodeId n : tree.node(s.node).path) {
            for (Phase p : kAllPhases) {
                if (!s.phases().contains(p)) continue;
                const Amps left = out.remaining[n.value][p] + own[p];
                if (!tightest || left < tightest->remaining) tightest = StarvedStation{i, n, p, left};
            }
        }
        if (tightest && tightest->remaining < site.settings.min_current) out.starved.push_back(*tightest);
    }
    return out;
}

}  // namespace fuseguard::policy
