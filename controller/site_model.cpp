#include "site_model.hpp"

#include <functional>

namespace fuseguard::controller {

using policy::Amps;

namespace {
policy::NodeId node_of(const policy::FuseTree& tree, const std::string& circuit) {
    if (circuit == "site") return policy::FuseTree::root();
    return tree.find(circuit).value();  // config validation guarantees it exists
}
}  // namespace

SiteModel build_site_model(const config::Config& cfg) {
    SiteModel m{policy::FuseTree("site", Amps::round_down(cfg.site.fuse_limit_a)), {}};
    std::function<void(policy::NodeId, const std::vector<config::CircuitConfig>&)> add =
        [&](policy::NodeId parent, const std::vector<config::CircuitConfig>& boards) {
            for (const auto& b : boards) add(m.tree.add_circuit(parent, b.id, Amps::round_down(b.fuse_limit_a)), b.circuits);
        };
    add(policy::FuseTree::root(), cfg.site.circuits);

    auto& s = m.state.settings;
    s.mode = cfg.policy.mode == config::PolicyMode::Strict ? policy::PolicyMode::Strict : policy::PolicyMode::Standard;
    s.safety_margin = Amps::round_up(cfg.site.safety_margin_a);
    s.min_current = Amps::round_up(cfg.policy.min_current_a);
    s.reclaim_margin = Amps::round_up(cfg.policy.reclaim_margin_a);
    s.calm_step = Amps::round_down(cfg.policy.calm_step_a);
    s.start_margin = Amps::round_up(cfg.policy.start_margin_a);

    for (const auto& c : cfg.chargers) {
        policy::StationInput st;
        st.id = c.id;
        st.node = node_of(m.tree, c.circuit);
        st.phase_count = c.phases;
        st.rotation = policy::PhaseRotation::parse(c.phase_rotation, c.phases).value_or(policy::PhaseRotation{});
        // A capacity is what it can draw: round up, like every deduction.
        st.max_current = Amps::round_up(c.max_current_a);
        if (c.fallback_current_a) st.fallback = Amps::round_up(*c.fallback_current_a);
        st.fallback_trusted = cfg.policy.trust_unverified_fallback;  // until its failsafe is verified
        st.priority = c.priority;
        m.state.stations.push_back(std::move(st));
    }
    for (const auto& c : cfg.meters) {
        policy::MeterInput mi;
        mi.id = c.id;
        mi.node = node_of(m.tree, c.circuit);
        mi.measures = c.measures == config::MeterMeasures::Total ? policy::MeterMeasures::Total
                                                                 : policy::MeterMeasures::NonEv;
        mi.fallback = Amps::round_up(c.fallback_a);
        m.state.meters.push_back(std::move(mi));
    }
    for (const auto& c : cfg.ems) {
        policy::EmsInput e;
        e.id = c.id;
        e.node = node_of(m.tree, c.circuit);
        e.fallback = Amps::round_up(c.fallback_a);
        m.state.ems.push_back(std::move(e));
    }
    return m;
}

}  // namespace fuseguard::controller
