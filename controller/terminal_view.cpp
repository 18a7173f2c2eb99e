#include "terminal_view.hpp"

#include <cstdio>
#include <sstream>

#include "policy/deduction.hpp"
#include "state_publisher.hpp"

namespace fuseguard::controller {

namespace {

std::string fixed(double v, int width = 7) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%*.1f", width, v);
    return buf;
}
std::string row(const std::string& label, const policy::PhaseCurrents& c) {
    std::string s = "    " + label;
    s.resize(26, ' ');
    for (auto p : policy::kAllPhases) s += fixed(c[p].amps());
    return s + "\n";
}
std::string pad(std::string s, std::size_t n) {
    if (s.size() > n) s = s.substr(0, n - 1) + "~";
    s.resize(n, ' ');
    return s;
}

}  // namespace

std::string render_view(const SiteController& site) {
    const auto& m = site.model();
    const auto& st = m.state;
    std::ostringstream o;
    o << "fuseguard  " << site.config().site.id << "   "
      << iso8601(WallClock::now(), true) << "   Ctrl-C stops\n\n";
    o << "  Budget per phase (A)            L1     L2     L3\n";
    const auto current = site.deductions_now();
    const auto nodes = site.node_figures(current);
    for (std::uint32_t n = 0; n < m.tree.size(); ++n) {
        const policy::NodeId id{n};
        o << "  " << m.tree.node(id).name << "\n";
        o << row("fuse limit", policy::PhaseCurrents::uniform(m.tree.node(id).limit));
        o << row("non-EV load", nodes[n].non_ev);
        // Behind a total meter while lowerings reach their vehicles.
        if (nodes[n].non_ev_most != nodes[n].non_ev) o << row("  may be up to", nodes[n].non_ev_most);
        o << row("EMS reserved", nodes[n].ems);
        o << row("allocated to stations", nodes[n].allocated);
        o << row("available for charging", nodes[n].available);
    }
    o << "\n  Deductions (devices fuseguard cannot limit or must assume)\n";
    for (const auto& d : current) {
        if (SiteController::is_managed_limit(d)) continue;
        if (d.kind == policy::DeviceKind::Charger && d.current == policy::PhaseCurrents{}) continue;
        o << "    " << policy::describe(d, st) << "\n";
    }
    o << "\n  Stations   state    managed  limit   draw L1/L2/L3      status           failsafe    reason\n";
    for (std::size_t i = 0; i < st.stations.size(); ++i) {
        const auto& s = st.stations[i];
        const auto& rt = site.stations()[i];
        const bool managed = s.managed();
        std::string draw = "-", status = "-";
        if (s.measured) {
            draw = fixed((*s.measured)[0].amps(), 4) + fixed((*s.measured)[1].amps(), 5) + fixed((*s.measured)[2].amps(), 5);
        }
        if (auto it = rt.connectors.find(1); it != rt.connectors.end()) {
            status = it->second.status;
            if (it->second.error_code != "NoError") status += " " + it->second.error_code;
        }
        o << "  " << pad(s.id, 9) << pad(std::string(policy::name(s.state)), 9) << pad(managed ? "yes" : "no", 9)
          << pad(managed ? fixed(s.limit_in_force.amps(), 5) + " A" : "   -", 8) << pad(draw, 19) << pad(status, 17)
          << pad(std::string(failsafe_state(s, rt)), 12) << policy::describe(site.target().stations[i], s, m.tree) << "\n";
        if (!rt.failsafe_reason.empty()) o << "             failsafe: " << rt.failsafe_reason << "\n";
        if (rt.backend_link)
            o << "             csms: " << *rt.backend_link
              << (rt.backend_cause.empty() ? std::string() : " (" + rt.backend_cause + ")") << ", "
              << rt.backend_queued << " messages waiting\n";
    }
    const auto& notes = site.notifications().active();
    o << "\n  Notifications (" << notes.size() << ")\n";
    for (const auto& [id, n] : notes) {
        o << "    [" << n.severity << "] " << n.device << (n.connector ? " #" + std::to_string(*n.connector) : "") << "  "
          << n.code << (n.vendor_code ? " (" + *n.vendor_code + ")" : "") << ": " << n.title << "\n";
        if (!n.steps.empty()) o << "        first step: " << n.steps.front() << "\n";
    }
    return o.str();
}

TerminalView::TerminalView(boost::asio::io_context& io, std::function<const SiteController*()> site, std::ostream& out)
    : timer_(io), site_(std::move(site)), out_(out) {}

void TerminalView::start() { draw(); }

void TerminalView::draw() {
    if (const auto* s = site_()) out_ << "\x1b[H\x1b[2J" << render_view(*s) << std::flush;
    timer_.expires_after(std::chrono::seconds(1));
    timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) draw();
    });
}

}  // namespace fuseguard::controller
