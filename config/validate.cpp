// Checks that span sections: unique ids, references, limits, addresses.
#include <algorithm>
#include <functional>
#include <set>

#include "sections.hpp"

namespace fuseguard::config {

namespace {

// Ids end up in MQTT topics and log lines: keep them plain.
bool plain_id(const std::string& id) {
    return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](unsigned char ch) {
        return std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.';
    });
}

// OCPP identities are the last URL segment: unreserved characters, at most
// 48 of them (OCPP 2.0.1 identifierString).
bool ocpp_identity(const std::string& id) {
    return !id.empty() && id.size() <= 48 && std::all_of(id.begin(), id.end(), [](unsigned char ch) {
        return std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~' || ch == ':' || ch == '*';
    });
}

std::string fmt(double v) {
    std::string s = std::to_string(v);
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
}

struct CircuitInfo {
    double limit;
    SourceMark mark;
};

}  // namespace

void validate(Reader& r, Config& c) {
    // The fuse tree: ids unique (and not "site"), children not above parents.
    std::map<std::string, CircuitInfo> circuits{{"site", {c.site.fuse_limit_a, {}}}};
    if (!plain_id(c.site.id)) r.fail("site.id", "expected letters, digits, '-', '_' or '.', got '" + c.site.id + "'");
    if (c.site.safety_margin_a >= c.site.fuse_limit_a)
        r.fail("site.safety_margin_a",
                "expected less than site.fuse_limit_a (" + fmt(c.site.fuse_limit_a) + " A), got " +
                    fmt(c.site.safety_margin_a));
    std::function<void(const std::vector<CircuitConfig>&, const std::string&, double, const std::string&)> walk =
        [&](const std::vector<CircuitConfig>& list, const std::string& path, double parent_limit,
            const std::string& parent_id) {
            for (std::size_t i = 0; i < list.size(); ++i) {
                const auto& b = list[i];
                const std::string key = indexed_key(path, i);
                if (!plain_id(b.id) || b.id == "site")
                    r.fail(key + ".id",
                            "expected a unique board name of letters, digits, '-', '_' or '.' other than 'site', got '" +
                                b.id + "'");
                else if (!circuits.emplace(b.id, CircuitInfo{b.fuse_limit_a, b.mark}).second)
                    r.fail(key + ".id", "duplicate circuit id '" + b.id + "'");
                if (b.fuse_limit_a > parent_limit)
                    r.warn(key + ".fuse_limit_a",
                              fmt(b.fuse_limit_a) + " A is above its parent " + parent_id + " (" + fmt(parent_limit) +
                                  " A); the parent's limit governs");
                if (b.fuse_limit_a <= c.site.safety_margin_a)
                    r.fail(key + ".fuse_limit_a",
                            "expected more than site.safety_margin_a (" + fmt(c.site.safety_margin_a) + " A), got " +
                                fmt(b.fuse_limit_a));
                walk(b.circuits, key + ".circuits", b.fuse_limit_a, b.id);
            }
        };
    walk(c.site.circuits, "site.circuits", c.site.fuse_limit_a, "site");

    auto check_circuit = [&](const std::string& ref, const std::string& key) {
        if (!circuits.count(ref)) {
            std::string known;
            for (const auto& [id, info] : circuits) known += (known.empty() ? "" : ", ") + id;
            r.fail(key, "unknown circuit '" + ref + "'; expected one of " + known);
        }
    };

    std::set<std::string> device_ids;
    auto check_polled = [&](const PolledDevice& d, const std::string& key, const char* kind) {
        if (!plain_id(d.id)) r.fail(key + ".id", "expected letters, digits, '-', '_' or '.', got '" + d.id + "'");
        else if (!device_ids.insert(std::string(kind) + ":" + d.id).second)
            r.fail(key + ".id", std::string("duplicate ") + kind + " id '" + d.id + "'");
        check_circuit(d.circuit, key + ".circuit");
        if (d.offline_after_s <= d.poll_interval_s)
            r.fail(key + ".offline_after_s",
                    "expected more than poll_interval_s (" + fmt(d.poll_interval_s) + " s), got " +
                        fmt(d.offline_after_s));
    };
    for (std::size_t i = 0; i < c.meters.size(); ++i) {
        const auto& m = c.meters[i];
        const std::string key = indexed_key("meters", i);
        check_polled(m, key, "meter");
        if (m.profile.has_value() == !m.registers.empty())
            r.fail(key, "expected either profile (a built-in meter) or registers (your own map), not " +
                                     std::string(m.profile ? "both" : "neither"));
        if (m.profile) {
            const auto& known = builtin_meter_profiles();
            if (std::find(known.begin(), known.end(), *m.profile) == known.end()) {
                std::string names;
                for (const auto& k : known) names += (names.empty() ? "" : ", ") + k;
                r.fail(key + ".profile", "unknown profile '" + *m.profile + "'; expected one of " + names);
            }
        }
        if (!m.profile && !m.registers.empty() && !m.registers.count("current_a"))
            r.fail(key + ".registers", "missing current_a: a meter must report its per-phase current");
        if (m.registers.count("current_a") && !m.registers.at("current_a").per_phase)
            r.fail(key + ".registers.current_a",
                    "expected per_phase: true or three addresses: the policy needs L1, L2 and L3");
    }
    for (std::size_t i = 0; i < c.ems.size(); ++i) {
        const auto& e = c.ems[i];
        const std::string key = indexed_key("ems", i);
        check_polled(e, key, "ems");
        if (!e.registers.empty() && !e.registers.count("reserved_current_a"))
            r.fail(key + ".registers", "missing reserved_current_a");
    }

    std::set<std::string> charger_ids;
    for (std::size_t i = 0; i < c.chargers.size(); ++i) {
        const auto& ch = c.chargers[i];
        const std::string key = indexed_key("chargers", i);
        if (!ocpp_identity(ch.id))
            r.fail(key + ".id",
                    "expected an OCPP identity of at most 48 letters, digits or '-', '_', '.', '~', ':', '*', got '" +
                        ch.id + "'");
        else if (!charger_ids.insert(ch.id).second)
            r.fail(key + ".id", "duplicate charger id '" + ch.id + "'");
        check_circuit(ch.circuit, key + ".circuit");
        const bool rotation_ok =
            ch.phase_rotation.size() == 6 || (ch.phases == 1 && ch.phase_rotation.size() == 2);
        bool valid = rotation_ok;
        if (valid) {
            std::set<char> seen;
            for (std::size_t k = 0; k < ch.phase_rotation.size(); k += 2) {
                const char p = ch.phase_rotation[k + 1];
                valid = valid && ch.phase_rotation[k] == 'L' && p >= '1' && p <= '3' && seen.insert(p).second;
            }
        }
        if (!valid)
            r.fail(key + ".phase_rotation",
                    std::string("expected ") +
                        (ch.phases == 1 ? "the phase it uses (L1, L2 or L3) or an order of L1L2L3"
                                        : "an order of L1L2L3 (L1L2L3, L2L3L1, L3L1L2, L1L3L2, L3L2L1, L2L1L3)") +
                        ", got '" + ch.phase_rotation + "'");
        if (ch.fallback_current_a && *ch.fallback_current_a > ch.max_current_a)
            r.fail(key + ".fallback_current_a",
                    "expected at most max_current_a (" + fmt(ch.max_current_a) + " A), got " +
                        fmt(*ch.fallback_current_a));
        if (ch.max_current_a > 0 && ch.max_current_a < c.policy.min_current_a)
            r.warn(key + ".max_current_a",
                      fmt(ch.max_current_a) + " A is below policy.min_current_a (" + fmt(c.policy.min_current_a) +
                          " A): this station will never be given current");
        if (ch.max_current_a == 0)
            r.warn(key + ".max_current_a",
                      "capacity 0 A: nothing is deducted for it when offline; make sure it cannot charge (seed 000)");
    }

    if (c.ocpp.offline_after_s <= c.ocpp.ping_interval_s)
        r.fail("ocpp.offline_after_s",
                "expected more than ocpp.ping_interval_s (" + fmt(c.ocpp.ping_interval_s) + " s), got " +
                    fmt(c.ocpp.offline_after_s));
    if (c.ocpp.failsafe_after_s < kMinFailsafeAfterS || c.ocpp.failsafe_after_s > kMaxFailsafeAfterS)
        r.fail("ocpp.failsafe_after_s", "expected from " + fmt(kMinFailsafeAfterS) + " to " + fmt(kMaxFailsafeAfterS) +
                                            " s, got " + fmt(c.ocpp.failsafe_after_s));
    if (!c.ocpp.tls)
        for (std::size_t i = 0; i < c.chargers.size(); ++i)
            if (c.chargers[i].password) {
                r.warn(indexed_key("chargers", i) + ".password",
                          "stations use passwords without TLS (security profile 1): they cross the network in clear");
                break;
            }

    for (std::size_t i = 0; i < c.chargers.size(); ++i) {
        const auto& ch = c.chargers[i];
        const std::string key = indexed_key("chargers", i);
        if ((ch.backend_identity || ch.backend_password) && !c.backend)
            r.fail(key + (ch.backend_identity ? ".backend_identity" : ".backend_password"),
                   "set only with a backend: section (fuseguard as local controller)");
        if (ch.backend_identity && !ocpp_identity(*ch.backend_identity))
            r.fail(key + ".backend_identity",
                   "expected an OCPP identity of at most 48 letters, digits or '-', '_', '.', '~', ':', '*', got '" +
                       *ch.backend_identity + "'");
    }
    if (c.backend && !c.backend->tls && (c.backend->password ||
                                         std::any_of(c.chargers.begin(), c.chargers.end(),
                                                     [](const auto& ch) { return ch.backend_password.has_value(); })))
        r.warn("backend.url", "passwords go to the CSMS without TLS (ws://): they cross the network in clear");

    if (c.mqtt) {
        auto& m = *c.mqtt;
        if (m.topic_prefix.empty()) m.topic_prefix = "fuseguard/" + c.site.id;
        if (m.topic_prefix.find_first_of("+#") != std::string::npos || m.topic_prefix.front() == '/' ||
            m.topic_prefix.back() == '/')
            r.fail("mqtt.topic_prefix",
                    "expected a topic without wildcards (+, #) or a leading/trailing '/', got '" + m.topic_prefix + "'");
        if (m.client_id.empty()) m.client_id = "fuseguard-" + c.site.id;
        if (m.password && !m.username) r.fail("mqtt.password", "a password needs a username");
    }
    if (c.http && c.http->listen_port != 0 && c.http->listen_port == c.ocpp.listen_port) {
        // Two listeners on one port: the second fails to bind at start. An
        // any-address listener takes the port on every address, so only two
        // distinct specific addresses could share it.
        const auto& h = c.http->listen_host;
        const auto& o = c.ocpp.listen_host;
        auto any = [](const std::string& a) { return a == "0.0.0.0" || a == "::" || a.empty(); };
        if (h == o || any(h) || any(o))
            r.fail("http.listen", "port " + std::to_string(c.http->listen_port) +
                                      " is already the OCPP endpoint's (ocpp.listen); choose another");
    }
}

}  // namespace fuseguard::config
