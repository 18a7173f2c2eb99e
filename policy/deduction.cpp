#include "deduction.hpp"

namespace fuseguard::policy {

std::string_view prefix(DeviceKind k) {
    switch (k) {
    case DeviceKind::Charger: return "charger";
    case DeviceKind::Meter: return "meter";
    case DeviceKind::Ems: return "ems";
    }
    return "device";
}

bool needs_station_draw(const SiteState& site) {
    for (const auto& m : site.meters)
        if (m.measures == MeterMeasures::Total && is_online(m.state)) return true;
    return false;
}

namespace {
StationDraw station_draw_by_node(const FuseTree& tree, const SiteState& site) {
    StationDraw draw;
    draw.assign(tree.size());
    for (const auto& s : site.stations)
        if (is_online(s.state)) draw.add(s.node, s);
    return draw;
}
}  // namespace

std::vector<Deduction> meter_deductions(const FuseTree& tree, const SiteState& site) {
    return meter_deductions(tree, site, needs_station_draw(site) ? station_draw_by_node(tree, site) : StationDraw{});
}

std::vector<Deduction> meter_deductions(const FuseTree& tree, const SiteState& site, StationDraw draw,
                                        std::vector<PhaseCurrents>* non_ev_most) {
    std::vector<Deduction> out;
    out.reserve(site.meters.size());
    if (non_ev_most) non_ev_most->assign(site.meters.size(), {});
    if (!draw.empty()) {
        // Each node's own stations so far: add the boards below, leaves first.
        for (std::uint32_t pos = static_cast<std::uint32_t>(tree.size()); pos-- > 1;) {
            NodeId n = tree.at_preorder(pos);
            const auto parent = tree.node(n).parent->value;
            draw.taken_off[parent] += draw.taken_off[n.value];
            draw.at_most[parent] += draw.at_most[n.value];
        }
    }
    for (std::uint32_t i = 0; i < site.meters.size(); ++i) {
        const auto& m = site.meters[i];
        Deduction d{DeviceKind::Meter, i, m.node, m.state, DeductionRule::MeterFallback, {}};
        if (!is_online(m.state)) {
            d.current = PhaseCurrents::uniform(m.fallback);
        } else if (m.measures == MeterMeasures::Total && !draw.empty()) {
            d.rule = DeductionRule::MeterMeasured;
            for (Phase p : kAllPhases) {
                const Amps most = max(m.current[p] - draw.taken_off[m.node.value][p], Amps{});
                const Amps least = min(max(m.current[p] - draw.at_most[m.node.value][p], Amps{}), most);
                d.current[p] = most;
                if (m.non_ev_before) {
                    const Amps before = (*m.non_ev_before)[p];
                    // Calm: it comes down by the calm step or more, or not
                    // at all (erring high, the safe side).
                    const bool calm = before > most && before - most < site.settings.calm_step;
                    d.current[p] = calm ? before : min(max(before, least), most);
                }
                if (non_ev_most) (*non_ev_most)[i][p] = most;
            }
        } else {
            d.rule = DeductionRule::MeterMeasured;
            for (Phase p : kAllPhases) d.current[p] = max(m.current[p], Amps{});
        }
        out.push_back(d);
    }
    return out;
}

std::vector<Deduction> ems_deductions(const SiteState& site) {
    std::vector<Deduction> out;
    out.reserve(site.ems.size());
    for (std::uint32_t i = 0; i < site.ems.size(); ++i) {
        const auto& e = site.ems[i];
        Deduction d{DeviceKind::Ems, i, e.node, e.state, DeductionRule::EmsFallback, PhaseCurrents::uniform(e.fallback)};
        if (is_online(e.state)) {
            d.rule = DeductionRule::EmsReserved;
            d.current = e.reserved;
        }
        out.push_back(d);
    }
    return out;
}

NodeLoadSum::NodeLoadSum(const FuseTree& tree)
    : tree_(tree), loads_(tree.size()), own_meters_(tree.size()), metered_(tree.size(), false) {}

void NodeLoadSum::add(const Deduction& d) {
    switch (d.kind) {
    case DeviceKind::Charger: loads_[d.node.value].stations += d.current; break;
    case DeviceKind::Ems: loads_[d.node.value].ems += d.current; break;
    case DeviceKind::Meter:
        own_meters_[d.node.value] += d.current;
        metered_[d.node.value] = true;
        break;
    }
}

std::vector<NodeLoad> NodeLoadSum::take() {
    // Children come after their parent in preorder: walk it backwards.
    for (std::uint32_t pos = static_cast<std::uint32_t>(tree_.size()); pos-- > 0;) {
        NodeId n = tree_.at_preorder(pos);
        NodeLoad& l = loads_[n.value];
        if (metered_[n.value]) l.non_ev = elementwise_max(l.non_ev, own_meters_[n.value]);
        if (pos == 0) break;
        NodeLoad& parent = loads_[tree_.node(n).parent->value];
        parent.non_ev += l.non_ev;
        parent.ems += l.ems;
        parent.stations += l.stations;
    }
    return std::move(loads_);
}

std::vector<NodeLoad> node_loads(const FuseTree& tree, const std::vector<Deduction>& deductions) {
    NodeLoadSum sum(tree);
    for (const auto& d : deductions) sum.add(d);
    return sum.take();
}

Amps capacity(const FuseTree& tree, NodeId n, const PolicySettings& cfg) {
    return tree.node(n).limit - cfg.safety_margin;
}

std::vector<Violation> check_safety(const FuseTree& tree, const PolicySettings& cfg,
                                    const std::vector<NodeLoad>& loads) {
    std::vector<Violation> out;
    for (std::uint32_t i = 0; i < tree.size(); ++i) {
        NodeId n{i};
        Amps cap = capacity(tree, n, cfg);
        PhaseCurrents total = loads[i].total();
        for (Phase p : kAllPhases)
            if (total[p] > cap) out.push_back({n, p, total[p], cap});
    }
    return out;
}

std::vector<Deduction> current_deductions(const FuseTree& tree, const SiteState& site) {
    std::vector<Deduction> all = meter_deductions(tree, site);
    auto ems = ems_deductions(site);
    all.insert(all.end(), ems.begin(), ems.end());
    for (std::uint32_t i = 0; i < site.stations.size(); ++i)
        all.push_back(station_deduction(site.stations[i], i, site.settings));
    return all;
}

const std::string& device_id(const Deduction& d, const SiteState& site) {
    switch (d.kind) {
    case DeviceKind::Charger: return site.stations[d.index].id;
    case DeviceKind::Meter: return site.meters[d.index].id;
    case DeviceKind::Ems: return site.ems[d.index].id;
    }
    return site.stations[d.index].id;
}

std::string device_name(const Deduction& d, const SiteState& site) {
    return std::string(prefix(d.kind)) + ":" + device_id(d, site);
}

std::string describe(const Deduction& d, const SiteState& site) {
    std::string who = device_name(d, site) + " " + std::string(name(d.state));
    std::string amount = format(d.current);
    switch (d.rule) {
    case DeductionRule::StationLimit: return who + ", managed -> its limit " + amount;
    case DeductionRule::StationStrictReserve:
        return who + ", strict mode -> reserves its " +
               (site.stations[d.index].fallback ? "fallback " : "capacity ") + amount;
    case DeductionRule::StationUnmanaged: return who + ", limit not confirmed -> capacity " + amount;
    case DeductionRule::StationRejected: return who + ", rejected its limit -> capacity " + amount;
    case DeductionRule::StationLost:
        return who + ", lost -> its last limit " + amount + " until its profiles step it down";
    case DeductionRule::StationFallback: return who + " -> fallback " + amount;
    case DeductionRule::StationCapacity: return who + ", no fallback -> capacity " + amount;
    case DeductionRule::StationUnverified: return who + ", fallback not verified -> capacity " + amount;
    case DeductionRule::MeterMeasured: return who + " -> non-EV load " + amount;
    case DeductionRule::MeterFallback: return who + " -> fallback " + amount;
    case DeductionRule::EmsReserved: return who + " -> reserved " + amount;
    case DeductionRule::EmsFallback: return who + " -> fallback " + amount;
    }
    return who;
}

}  // namespace fuseguard::policy
