#include "state_publisher.hpp"

#include <cmath>
#include <functional>

#include "policy/deduction.hpp"

namespace fuseguard::controller {

using nlohmann::json;
using policy::Amps;
using policy::DeviceState;

namespace {

// Coalescing window: short enough for the 100 ms promise (a flush of a
// 5,000-station site takes a few ms), long enough to gather a burst of
// events into one publication.
constexpr auto kCoalesce = std::chrono::milliseconds(50);
// Uptime figures move slowly; each station's are recomputed this often,
// on its own second of the minute: all of them at once held the loop for
// over a second at 5,000 stations (bench_service).
constexpr auto kUptimeRefresh = std::chrono::seconds(60);

double a(Amps x) { return std::round(x.amps() * 10) / 10; }
json phases(const policy::PhaseCurrents& c) { return json::array({a(c[policy::Phase::L1]), a(c[policy::Phase::L2]), a(c[policy::Phase::L3])}); }
json phases(const std::array<double, 3>& v) {
    auto r = [](double x) { return std::round(x * 100) / 100; };
    return json::array({r(v[0]), r(v[1]), r(v[2])});
}

}  // namespace

StatePublisher::StatePublisher(boost::asio::io_context& io, const SiteController& site, std::vector<Outlet> outlets)
    : site_(site), outlets_(std::move(outlets)), timer_(io), started_(std::chrono::steady_clock::now()) {}

void StatePublisher::send(const std::string& topic, const std::string& payload) {
    for (const auto& out : outlets_) out(topic, payload);
}

void StatePublisher::changed() {
    if (armed_) return;
    armed_ = true;
    timer_.expires_after(kCoalesce);
    // A timer that has expired but whose handler has not run yet is not
    // cancelled by destroying it: the handler still comes, without an
    // error. A reload replaces the publisher at any moment (soak seed
    // 580295895 found it), so the handler asks whether we are still here.
    timer_.async_wait([this, alive = std::weak_ptr<const bool>(alive_)](const boost::system::error_code& ec) {
        if (ec || !alive.lock()) return;
        armed_ = false;
        flush();
    });
}

void StatePublisher::republish() {
    site_key_.clear();
    station_keys_.clear();
    last_body_.clear();
    notifications_revision_.reset();
    changed();
}

void StatePublisher::put(const std::string& topic, const json& body) {
    // Compared without its ts, so that an unchanged body is not republished.
    // By a 64-bit hash: the text itself, kept for every topic, was a
    // kilobyte a station (heaptrack at 5,000), and the chance that a change
    // hashes like the body before it, 2^-64, is far below anything else
    // that could lose a publication.
    std::string text = body.dump();
    const auto hash = std::hash<std::string>{}(text);
    auto [last, first] = last_body_.try_emplace(topic, hash);
    if (!first && last->second == hash) return;
    last->second = hash;
    // A device's ts is its last good reading (set by the caller); a list has
    // none. Added to the text as its last member rather than by serialising
    // the body again: one dump per publication.
    if (body.is_object() && !body.contains("ts"))
        text.insert(text.size() - 1, (body.empty() ? "\"ts\":" : ",\"ts\":") + json(iso8601(WallClock::now(), true)).dump());
    send(topic, text);
}

// Everything site_json reads that can change while the configuration does
// not: a flush compares it before building a body that lists every
// deduction (5,000 entries on a large site, 20 times a second otherwise).
std::vector<std::int64_t> StatePublisher::site_key(const std::vector<policy::Deduction>& current,
                                                   const std::vector<NodeFigures>& nodes) {
    std::vector<std::int64_t> key;
    key.reserve(current.size() * 7 + nodes.size() * 12);
    auto add = [&](const policy::PhaseCurrents& c) {
        for (auto p : policy::kAllPhases) key.push_back(c[p].milliamps());
    };
    for (const auto& d : current) {
        if (SiteController::is_managed_limit(d)) continue;
        key.insert(key.end(), {static_cast<std::int64_t>(d.kind), d.index, static_cast<std::int64_t>(d.state),
                               static_cast<std::int64_t>(d.rule)});
        add(d.current);
    }
    for (const auto& f : nodes) add(f.available), add(f.allocated), add(f.non_ev), add(f.non_ev_most), add(f.ems);
    return key;
}

json StatePublisher::site_json(const std::vector<policy::Deduction>& current, const std::vector<NodeFigures>& nodes) const {
    const auto& m = site_.model();
    const auto& st = m.state;
    auto figures = [&](std::uint32_t n) {
        const auto& f = nodes[n];
        return json{{"fuse_limit_a", phases(policy::PhaseCurrents::uniform(m.tree.node(policy::NodeId{n}).limit))},
                    {"available_a", phases(f.available)},
                    {"allocated_a", phases(f.allocated)},
                    {"non_ev_load_a", phases(f.non_ev)},
                    {"non_ev_load_max_a", phases(f.non_ev_most)},
                    {"ems_reserved_a", phases(f.ems)}};
    };
    json body = figures(0);
    body["safety_margin_a"] = a(st.settings.safety_margin);
    json deductions = json::array();
    for (const auto& d : current) {
        if (SiteController::is_managed_limit(d)) continue;  // a limit in force is an allocation, not a deduction
        deductions.push_back({{"source", policy::device_name(d, st)},
                              {"state", std::string(policy::name(d.state))},
                              {"current_a", phases(d.current)},
                              {"reason", policy::describe(d, st)}});
    }
    body["deductions"] = std::move(deductions);
    json circuits = json::object();
    for (std::uint32_t n = 1; n < m.tree.size(); ++n) circuits[m.tree.node(policy::NodeId{n}).name] = figures(n);
    body["circuits"] = std::move(circuits);
    return body;
}

json StatePublisher::charger_json(std::size_t i) const {
    const auto& st = site_.model().state;
    const auto& s = st.stations[i];
    const auto& rt = site_.stations()[i];
    const auto& d = site_.target().stations[i];
    json body;
    body["state"] = std::string(policy::name(s.state));
    body["managed"] = s.managed();
    body["limit_a"] = body["managed"].get<bool>() ? json(a(s.limit_in_force)) : json(nullptr);
    body["target_a"] = d.target ? json(a(*d.target)) : json(nullptr);
    body["deduction_a"] = phases(policy::station_deduction(s, static_cast<std::uint32_t>(i), st.settings).current);
    body["reason"] = policy::describe(d, s, site_.model().tree);
    // Extension: what its connectors report drawing together, on its own terminals.
    const auto draw = site_.reported_total(i);
    body["draw_a"] = draw ? json::array({a((*draw)[0]), a((*draw)[1]), a((*draw)[2])}) : json(nullptr);
    body["ocpp"] = rt.version ? json(std::string(ocpp::subprotocol(*rt.version))) : json(nullptr);
    if (!rt.cause.empty()) body["cause"] = rt.cause;
    const auto failsafe = failsafe_state(s, rt);
    const bool holds_layers = s.fallback && failsafe != "unsupported";
    body["failsafe"] = {
        {"state", std::string(failsafe)},
        {"fallback_a", s.fallback ? json(a(*s.fallback)) : json(nullptr)},
        {"steps_down_after_s", holds_layers ? json(site_.config().ocpp.failsafe_after_s) : json(nullptr)},
        {"counted_at_fallback_offline", s.fallback && s.fallback_trusted},
        {"reason", !s.fallback ? json("no fallback_current_a is configured")
                   : rt.failsafe_reason.empty() ? json(nullptr) : json(rt.failsafe_reason)}};
    // Its link to the operator's CSMS (local controller); null without one.
    body["backend"] = rt.backend_link ? json{{"state", *rt.backend_link},
                                             {"queued", rt.backend_queued},
                                             {"cause", rt.backend_cause.empty() ? json(nullptr) : json(rt.backend_cause)}}
                                      : json(nullptr);
    json connectors = json::array();
    for (const auto& [n, c] : rt.connectors) {
        json cj{{"connector", n}, {"status", c.status}, {"errorCode", c.error_code}};
        if (c.vendor_error_code) cj["vendorErrorCode"] = *c.vendor_error_code;
        if (c.info) cj["info"] = *c.info;
        cj["current_a"] = c.current_a ? phases(*c.current_a) : json(nullptr);
        connectors.push_back(std::move(cj));
    }
    body["connectors"] = std::move(connectors);
    json uptime = json::array();
    const auto now = WallClock::now();
    for (int evse : site_.uptime().evses(s.id)) {
        const auto f = site_.uptime().figures(s.id, evse, now);
        auto pct = [](const std::optional<double>& p) { return p ? json(std::round(*p * 10) / 10) : json(nullptr); };
        json by = json::object();
        for (const auto& [cat, secs] : f.downtime_s_30d) by[cat] = std::round(secs);
        uptime.push_back({{"evse", evse},
                          {"up", !f.down_for.has_value()},
                          {"down_for", f.down_for ? json(*f.down_for) : json(nullptr)},
                          {"percent_24h", pct(f.percent_24h)},
                          {"percent_30d", pct(f.percent_30d)},
                          {"downtime_s_30d", std::move(by)}});
    }
    body["uptime"] = std::move(uptime);
    return body;
}

json StatePublisher::notification_json(const Notification& n) {
    json j{{"id", n.id},       {"device", n.device},   {"connector", n.connector ? json(*n.connector) : json(nullptr)},
           {"code", n.code},   {"severity", n.severity}, {"title", n.title},
           {"description", n.description}, {"steps", n.steps}, {"category", n.category},
           {"since", iso8601(n.since, true)}};
    if (n.vendor_code) j["vendor_code"] = *n.vendor_code;
    if (n.info) j["info"] = *n.info;
    return j;
}

// The list as text, each notification serialised once per change: a site
// with thousands of notes (every station's failsafe unverified, say)
// changes one at a time, and serialising all of them each time was most
// of the service's work.
std::string StatePublisher::notifications_text() {
    const auto& board = site_.notifications();
    std::map<std::string, NoteText> kept;
    std::string list = "[";
    for (const auto& [id, n] : board.active()) {
        const auto revision = board.revision_of(id);
        auto it = note_text_.find(id);
        NoteText text = it != note_text_.end() && it->second.revision == revision
                            ? std::move(it->second)
                            : NoteText{revision, notification_json(n).dump()};
        if (list.size() > 1) list += ',';
        list += text.text;
        kept.emplace(id, std::move(text));
    }
    note_text_ = std::move(kept);
    return list + "]";
}

StatePublisher::StationKey StatePublisher::key_of(std::size_t i, std::chrono::steady_clock::time_point now) const {
    const auto& st = site_.model().state;
    const auto& s = st.stations[i];
    const auto& d = site_.target().stations[i];
    StationKey k;
    k.version = site_.stations()[i].revision;
    const auto offset = std::chrono::seconds(static_cast<std::int64_t>(i % kUptimeRefresh.count()));
    k.uptime_epoch = static_cast<std::uint64_t>((now - started_ + offset) / kUptimeRefresh);
    k.state = static_cast<int>(s.state);
    k.control = static_cast<int>(s.control);
    k.limit = s.limit_in_force.milliamps();
    k.target = d.target ? d.target->milliamps() : -1;
    const auto ded = policy::station_deduction(s, static_cast<std::uint32_t>(i), st.settings).current;
    for (auto p : policy::kAllPhases) k.deduction[policy::index(p)] = ded[p].milliamps();
    k.reason = d.reason;
    return k;
}

void StatePublisher::flush() {
    const LatencyHistogram::Timer timed(latency_);
    const auto& m = site_.model();
    const auto now = std::chrono::steady_clock::now();
    const auto current = site_.deductions_now();
    const auto nodes = site_.node_figures(current);
    if (auto key = site_key(current, nodes); key != site_key_) {
        site_key_ = std::move(key);
        put("site", site_json(current, nodes));
    }
    station_keys_.resize(m.state.stations.size());
    for (std::size_t i = 0; i < m.state.stations.size(); ++i) {
        auto k = key_of(i, now);
        if (k == station_keys_[i]) continue;
        station_keys_[i] = std::move(k);
        put("chargers/" + m.state.stations[i].id, charger_json(i));
    }
    auto device = [&](const std::string& kind, const std::string& id, DeviceState state, const DeviceRuntime& rt,
                      const char* values_key) {
        json body{{"state", std::string(policy::name(state))}, {values_key, phases(rt.values)}};
        body["ts"] = rt.last_reading ? json(iso8601(*rt.last_reading, true)) : json(nullptr);
        if (!rt.cause.empty()) body["cause"] = rt.cause;
        put(kind + "/" + id, body);
    };
    for (std::size_t i = 0; i < m.state.meters.size(); ++i)
        device("meters", m.state.meters[i].id, m.state.meters[i].state, site_.meters()[i], "current_a");
    for (std::size_t i = 0; i < m.state.ems.size(); ++i)
        device("ems", m.state.ems[i].id, m.state.ems[i].state, site_.ems()[i], "reserved_a");
    // The list is long on a large site with many notes; only a change to it
    // is worth serialising.
    if (const auto revision = site_.notifications().revision(); revision != notifications_revision_) {
        notifications_revision_ = revision;
        // Each outlet keeps the one copy it needs (a megabyte or more with
        // thousands of notes): not another one here.
        send("notifications", notifications_text());
    }
}

}  // namespace fuseguard::controller
