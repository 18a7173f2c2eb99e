#include "metrics_exposition.hpp"

#include <array>
#include <charconv>
#include <cstdio>
#include <map>

#include "policy/deduction.hpp"

namespace fuseguard::controller {

namespace {

// A label value with \, " and newline escaped, as the format asks.
void append_escaped(std::string& out, std::string_view v) {
    for (char c : v) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
}

class Exposition {
public:
    // Views: a label's text (often a temporary) lives until the sample's
    // call returns, and nothing is copied for it.
    using Labels = std::initializer_list<std::pair<const char*, std::string_view>>;

    // One family: its HELP and TYPE lines, then its samples.
    void family(const char* name, const char* type, const char* help) {
        name_ = name;
        out_ += "# HELP ";
        out_ += name;
        out_ += ' ';
        out_ += help;
        out_ += "\n# TYPE ";
        out_ += name;
        out_ += ' ';
        out_ += type;
        out_ += '\n';
    }
    void sample(Labels labels, double value) { line(name_, labels, value); }
    // A histogram family's buckets, sum and count.
    void histogram(const LatencyHistogram& h) {
        const std::string name = name_;
        char bound[32];
        for (std::size_t i = 0; i < LatencyHistogram::kBounds.size(); ++i) {
            std::snprintf(bound, sizeof bound, "%g", LatencyHistogram::kBounds[i]);
            line(name + "_bucket", {{"le", bound}}, static_cast<double>(h.at_most(i)));
        }
        line(name + "_bucket", {{"le", "+Inf"}}, static_cast<double>(h.count()));
        line(name + "_sum", {}, h.sum_seconds());
        line(name + "_count", {}, static_cast<double>(h.count()));
    }
    std::string take() { return std::move(out_); }

private:
    void line(const std::string& name, Labels labels, double value) {
        out_ += name;
        if (labels.size() > 0) {
            out_ += '{';
            bool first = true;
            for (const auto& [k, v] : labels) {
                if (!first) out_ += ',';
                first = false;
                out_ += k;
                out_ += "=\"";
                append_escaped(out_, v);
                out_ += '"';
            }
            out_ += '}';
        }
        out_ += ' ';
        // The shortest text that reads back as the same double (snprintf
        // was a third of the time at 5,000 stations: bench_controller).
        char number[32];
        const auto end = std::to_chars(number, number + sizeof number, value).ptr;
        out_.append(number, end);
        out_ += '\n';
    }

    std::string name_;
    std::string out_;
};

constexpr const char* kPhase[3] = {"L1", "L2", "L3"};

}  // namespace

std::string metrics_exposition(const SiteController& site, const ServiceFigures& service) {
    const auto& m = site.model();
    const auto& st = m.state;
    const auto current = site.deductions_now();
    const auto nodes = site.node_figures(current);
    Exposition e;
    auto node_name = [&](std::uint32_t n) { return n == 0 ? std::string("site") : m.tree.node(policy::NodeId{n}).name; };
    auto per_node = [&](const char* name, const char* help, auto figure) {
        e.family(name, "gauge", help);
        for (std::uint32_t n = 0; n < nodes.size(); ++n)
            for (auto p : policy::kAllPhases)
                e.sample({{"node", node_name(n)}, {"phase", kPhase[policy::index(p)]}}, figure(n, p));
    };
    per_node("fuseguard_fuse_limit_amperes", "The fuse limit per node and phase.",
             [&](std::uint32_t n, policy::Phase) { return m.tree.node(policy::NodeId{n}).limit.amps(); });
    per_node("fuseguard_available_amperes", "What the node has for charging: its limit less all load fuseguard does not control.",
             [&](std::uint32_t n, policy::Phase p) { return nodes[n].available[p].amps(); });
    per_node("fuseguard_allocated_amperes", "The limits in force of managed stations under the node.",
             [&](std::uint32_t n, policy::Phase p) { return nodes[n].allocated[p].amps(); });
    per_node("fuseguard_non_ev_load_amperes", "Metered non-EV load, or the meters' fallbacks.",
             [&](std::uint32_t n, policy::Phase p) { return nodes[n].non_ev[p].amps(); });
    per_node("fuseguard_non_ev_load_max_amperes",
             "The most the non-EV load may be: above fuseguard_non_ev_load_amperes while lowerings on their way to "
             "vehicles may hide part of it behind a total meter.",
             [&](std::uint32_t n, policy::Phase p) { return nodes[n].non_ev_most[p].amps(); });
    per_node("fuseguard_ems_reserved_amperes", "What the EMS reserves, or its fallback.",
             [&](std::uint32_t n, policy::Phase p) { return nodes[n].ems[p].amps(); });

    e.family("fuseguard_deduction_amperes", "gauge",
             "Each deduction on the site's phases that is not a managed station's limit (offline, unknown or unmanaged devices).");
    for (const auto& d : current) {
        if (SiteController::is_managed_limit(d)) continue;
        const std::string source = policy::device_name(d, st);
        for (auto p : policy::kAllPhases)
            e.sample({{"source", source}, {"state", std::string(policy::name(d.state))}, {"phase", kPhase[policy::index(p)]}},
                     d.current[p].amps());
    }

    e.family("fuseguard_station_state", "gauge", "1 for the state each station is in (online, offline, unknown).");
    for (const auto& s : st.stations)
        for (auto state : {policy::DeviceState::Online, policy::DeviceState::Offline, policy::DeviceState::Unknown})
            e.sample({{"station", s.id}, {"state", std::string(policy::name(state))}}, s.state == state ? 1 : 0);
    e.family("fuseguard_station_managed", "gauge", "1 while fuseguard sets the station's limit.");
    for (const auto& s : st.stations)
        e.sample({{"station", s.id}}, s.managed());
    e.family("fuseguard_station_limit_amperes", "gauge", "The limit in force per phase (0 when paused or idle).");
    for (const auto& s : st.stations) e.sample({{"station", s.id}}, s.limit_in_force.amps());
    e.family("fuseguard_station_draw_amperes", "gauge",
             "What the station's connectors last reported drawing together, per station phase (absent until it reports).");
    for (std::size_t i = 0; i < st.stations.size(); ++i)
        if (const auto draw = site.reported_total(i))
            for (std::size_t p = 0; p < 3; ++p) e.sample({{"station", st.stations[i].id}, {"phase", kPhase[p]}}, (*draw)[p].amps());
    // Whatever the status: an error code matters even while charging (SPEC 6).
    e.family("fuseguard_station_error", "gauge", "1 while any connector reports an error code other than NoError.");
    for (std::size_t i = 0; i < st.stations.size(); ++i) {
        bool error = false;
        for (const auto& [n, c] : site.stations()[i].connectors) error = error || c.error_code != "NoError";
        e.sample({{"station", st.stations[i].id}}, error);
    }
    e.family("fuseguard_station_uptime_ratio", "gauge",
             "Each EVSE's uptime over the last 24 hours and 30 days (SPEC 7), from 0 to 1 (absent before any observed time).");
    const auto now = WallClock::now();
    for (const auto& s : st.stations)
        for (int evse : site.uptime().evses(s.id)) {
            const auto f = site.uptime().figures(s.id, evse, now);
            if (f.percent_24h) e.sample({{"station", s.id}, {"evse", std::to_string(evse)}, {"window", "24h"}}, *f.percent_24h / 100);
            if (f.percent_30d) e.sample({{"station", s.id}, {"evse", std::to_string(evse)}, {"window", "30d"}}, *f.percent_30d / 100);
        }

    auto devices = [&](const char* kind, const auto& inputs) {
        for (const auto& d : inputs)
            for (auto state : {policy::DeviceState::Online, policy::DeviceState::Offline, policy::DeviceState::Unknown})
                e.sample({{"device", std::string(kind) + ":" + d.id}, {"state", std::string(policy::name(state))}},
                         d.state == state ? 1 : 0);
    };
    e.family("fuseguard_device_state", "gauge", "1 for the state each meter and EMS is in (online, offline, unknown).");
    devices("meter", st.meters);
    devices("ems", st.ems);

    e.family("fuseguard_notifications", "gauge", "Active notifications (the Error Notifications tile) by severity.");
    std::map<std::string, int> by_severity{{"info", 0}, {"warning", 0}, {"error", 0}};
    for (const auto& [id, n] : site.notifications().active()) ++by_severity[n.severity];
    for (const auto& [severity, count] : by_severity) e.sample({{"severity", severity}}, count);

    e.family("fuseguard_limits_sent_total", "counter", "Limits sent to stations since the configuration was last loaded.");
    e.sample({}, static_cast<double>(site.limits_sent()));

    e.family("fuseguard_plan_duration_seconds", "histogram",
             "How long each re-plan took: the allocation and sending its commands (since the configuration was last loaded).");
    e.histogram(site.plan_latency());
    if (service.publish_latency) {
        e.family("fuseguard_publish_duration_seconds", "histogram",
                 "How long each publication took: comparing, building and handing out the changed payloads.");
        e.histogram(*service.publish_latency);
    }
    e.family("fuseguard_modbus_reads_total", "counter",
             "Modbus reads per meter and EMS, good or failed (timeouts, exceptions, values out of bounds).");
    for (const auto& [device, counts] : service.modbus_reads) {
        e.sample({{"device", device}, {"result", "good"}}, static_cast<double>(counts.good));
        e.sample({{"device", device}, {"result", "failed"}}, static_cast<double>(counts.failed));
    }
    if (service.ocpp_errors) {
        e.family("fuseguard_ocpp_errors_total", "counter",
                 "What went wrong on the OCPP side, per station and kind (docs/dashboard.md); station \"\" for refused connections.");
        for (const auto& [key, count] : *service.ocpp_errors)
            e.sample({{"station", key.first}, {"kind", key.second}}, static_cast<double>(count));
    }
    return e.take();
}

}  // namespace fuseguard::controller
