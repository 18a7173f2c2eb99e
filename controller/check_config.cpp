#include "check_config.hpp"

#include <cstdio>
#include <ostream>

#include "config/load.hpp"
#include "policy/worst_case.hpp"
#include "site_model.hpp"

namespace fuseguard::controller {

using policy::Phase;

namespace {
std::string cell(policy::Amps a) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%8.1f", a.amps());
    return buf;
}
}  // namespace

int check_config(const std::string& path, std::ostream& out, std::ostream& err) {
    const auto result = config::load_file(path);
    for (const auto& w : result.warnings) err << w.to_string() << "\n";
    if (!result.ok()) {
        for (const auto& e : result.errors) err << e.to_string() << "\n";
        err << path << ": " << result.errors.size() << " error(s); the configuration is not valid\n";
        return 1;
    }
    const auto& cfg = *result.config;
    SiteModel model = build_site_model(cfg);
    // The site as designed: every failsafe verified, so that each station
    // offline counts at its fallback (one that is not verified counts at its
    // capacity, which the dashboard and the notifications show).
    for (auto& s : model.state.stations) s.fallback_trusted = true;
    const auto worst = policy::worst_case(model.tree, model.state);

    out << path << ": valid (" << cfg.chargers.size() << " chargers, " << cfg.meters.size() << " meters, "
        << cfg.ems.size() << " EMS, " << model.tree.size() << " fuse nodes)\n\n";
    out << "Worst case: every meter, EMS and station offline or unknown, every station's failsafe verified.\n"
        << "What each fuse still leaves for charging, per phase (A):\n\n";
    out << "  node                       limit  margin      L1      L2      L3\n";
    for (std::uint32_t pos = 0; pos < model.tree.size(); ++pos) {
        const auto n = model.tree.at_preorder(pos);
        const auto& node = model.tree.node(n);
        std::string name = std::string(2 * (node.path.size() - 1), ' ') + node.name;
        char label[64];
        std::snprintf(label, sizeof label, "  %-24s", name.c_str());
        out << label << cell(node.limit) << cell(model.state.settings.safety_margin);
        for (Phase p : policy::kAllPhases) out << cell(worst.remaining[n.value][p]);
        out << "\n";
    }
    if (worst.starved.empty()) {
        out << "\nEvery station can still get min_current_a (" << policy::format(model.state.settings.min_current)
            << ") when everything else is offline.\n";
        return 0;
    }
    out << "\n";
    for (const auto& s : worst.starved) {
        const auto& st = model.state.stations[s.station];
        err << path << ": warning: charger " << st.id << ": with every other device offline, "
            << model.tree.node(s.node).name << " " << policy::name(s.phase) << " leaves "
            << policy::format(s.remaining) << " for it, below min_current_a "
            << policy::format(model.state.settings.min_current)
            << "; lower a fallback below it or raise that fuse limit\n";
    }
    return 0;
}

}  // namespace fuseguard::controller
