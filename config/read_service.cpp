// The OCPP endpoint, the MQTT connection and the HTTP server.
#include <algorithm>
#include <cctype>
#include <iterator>

#include "sections.hpp"

namespace fuseguard::config {

bool parse_host_port(const std::string& text, std::string& host, std::uint16_t& port) {
    std::size_t colon;
    if (!text.empty() && text.front() == '[') {
        const std::size_t close = text.find(']');
        if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') return false;
        host = text.substr(1, close - 1);
        colon = close + 1;
    } else {
        colon = text.rfind(':');
        if (colon == std::string::npos || colon == 0) return false;
        host = text.substr(0, colon);
        if (host.find(':') != std::string::npos) return false;  // bare IPv6 needs brackets
    }
    const std::string digits = text.substr(colon + 1);
    if (digits.empty() || digits.size() > 5 || !std::all_of(digits.begin(), digits.end(), ::isdigit)) return false;
    const long p = std::stol(digits);
    if (p > 65535 || host.empty()) return false;
    port = static_cast<std::uint16_t>(p);
    return true;
}

void read_ocpp(Reader& r, const YAML::Node& n, OcppConfig& out) {
    if (!r.map(n, "ocpp", {"listen", "tls", "heartbeat_interval_s", "ping_interval_s", "offline_after_s",
                           "profile_purpose", "failsafe_after_s", "profile_eval_delay_s"}))
        return;
    std::string listen;
    if (r.text(n, "ocpp", "listen", listen) &&
        !parse_host_port(listen, out.listen_host, out.listen_port))
        r.error(r.find(n, "listen")->mark, "ocpp.listen",
                "expected HOST:PORT (e.g. 0.0.0.0:9000 or [::]:9000) with a port from 0 to 65535, got '" + listen +
                    "'");
    if (auto e = r.find(n, "tls")) {
        TlsConfig t;
        if (r.map(e->value, "ocpp.tls", {"cert", "key", "client_ca"})) {
            r.text(e->value, "ocpp.tls", "cert", t.cert, true);
            r.text(e->value, "ocpp.tls", "key", t.key, true);
            r.text(e->value, "ocpp.tls", "client_ca", t.client_ca);
        }
        out.tls = t;
    }
    r.number(n, "ocpp", "heartbeat_interval_s", out.heartbeat_interval_s, Bound::Positive);
    r.number(n, "ocpp", "ping_interval_s", out.ping_interval_s, Bound::NonNegative);
    r.number(n, "ocpp", "offline_after_s", out.offline_after_s, Bound::Positive);
    r.number(n, "ocpp", "failsafe_after_s", out.failsafe_after_s, Bound::Positive);
    r.number(n, "ocpp", "profile_eval_delay_s", out.profile_eval_delay_s, Bound::NonNegative);
    if (auto p = r.choice(n, "ocpp", "profile_purpose", {"ChargePointMaxProfile", "TxDefaultProfile"}))
        out.profile_purpose = *p == 0 ? ProfilePurpose::ChargePointMaxProfile : ProfilePurpose::TxDefaultProfile;
}

void read_mqtt(Reader& r, const YAML::Node& n, MqttConfig& out) {
    if (!r.map(n, "mqtt", {"broker", "topic_prefix", "username", "password", "tls", "client_id", "home_assistant",
                           "discovery_prefix"}))
        return;
    if (r.text(n, "mqtt", "broker", out.broker, true)) {
        const std::string& b = out.broker;
        const std::size_t sep = b.find("://");
        const std::string scheme = sep == std::string::npos ? "" : b.substr(0, sep);
        const bool known = scheme == "tcp" || scheme == "mqtt" || scheme == "ssl" || scheme == "mqtts";
        out.tls_transport = scheme == "ssl" || scheme == "mqtts";
        out.port = out.tls_transport ? 8883 : 1883;
        std::string rest = known ? b.substr(sep + 3) : "";
        bool ok = known && !rest.empty();
        if (ok && rest.find(':') == std::string::npos) rest += ":" + std::to_string(out.port);
        if (ok) ok = parse_host_port(rest, out.host, out.port) && out.port != 0;
        if (!ok)
            r.error(r.find(n, "broker")->mark, "mqtt.broker",
                    "expected tcp://HOST[:PORT] or ssl://HOST[:PORT] (also mqtt://, mqtts://), got '" + b + "'");
    }
    r.text(n, "mqtt", "topic_prefix", out.topic_prefix);
    r.text(n, "mqtt", "username", out.username);
    r.text(n, "mqtt", "password", out.password);
    r.text(n, "mqtt", "client_id", out.client_id);
    r.boolean(n, "mqtt", "home_assistant", out.home_assistant);
    if (r.text(n, "mqtt", "discovery_prefix", out.discovery_prefix) &&
        (out.discovery_prefix.empty() || out.discovery_prefix.find_first_of("+#") != std::string::npos ||
         out.discovery_prefix.front() == '/' || out.discovery_prefix.back() == '/'))
        r.error(r.find(n, "discovery_prefix")->mark, "mqtt.discovery_prefix",
                "expected a topic without wildcards (+, #) or a leading/trailing '/', got '" + out.discovery_prefix + "'");
    if (auto e = r.find(n, "tls")) {
        MqttTlsConfig t;
        if (r.map(e->value, "mqtt.tls", {"ca", "cert", "key"})) {
            r.text(e->value, "mqtt.tls", "ca", t.ca);
            r.text(e->value, "mqtt.tls", "cert", t.cert);
            r.text(e->value, "mqtt.tls", "key", t.key);
            if (t.cert.has_value() != t.key.has_value())
                r.error(e->mark, "mqtt.tls", "expected cert and key together (a client certificate needs both)");
        }
        out.tls = t;
    }
}

void read_http(Reader& r, const YAML::Node& n, HttpConfig& out) {
    if (n.IsNull()) return;  // "http:" alone: the defaults
    if (!r.map(n, "http", {"listen", "dashboard", "metrics", "login"})) return;
    std::string listen;
    if (r.text(n, "http", "listen", listen) && !parse_host_port(listen, out.listen_host, out.listen_port))
        r.error(r.find(n, "listen")->mark, "http.listen",
                "expected HOST:PORT (e.g. 127.0.0.1:8080 or [::1]:8080) with a port from 0 to 65535, got '" + listen +
                    "'");
    r.boolean(n, "http", "dashboard", out.dashboard);
    r.boolean(n, "http", "metrics", out.metrics);
    if (!out.dashboard && !out.metrics)
        r.warn("http.metrics", "both dashboard and metrics are off: the HTTP server is not started");
    if (auto e = r.find(n, "login")) {
        HttpLogin login;
        if (r.map(e->value, "http.login", {"user", "password_hash"})) {
            if (r.text(e->value, "http.login", "user", login.user, true) &&
                (login.user.empty() || login.user.find_first_of(" \t\r\n:") != std::string::npos))
                r.error(r.find(e->value, "user")->mark, "http.login.user",
                        "expected a user name without spaces or ':', got '" + login.user + "'");
            if (r.text(e->value, "http.login", "password_hash", login.password_hash, true)) {
                if (const auto why = weak_or_malformed_hash(login.password_hash))
                    r.error(r.find(e->value, "password_hash")->mark, "http.login.password_hash", *why);
            }
        }
        if (!out.dashboard) r.warn("http.login", "the dashboard is off: nobody can log in to it");
        out.login = login;
    }
}

std::optional<std::string> weak_or_malformed_hash(const std::string& hash) {
    // The crypt(3) formats libxcrypt verifies and still counts as strong.
    // Only the form is checked here; the HTTP server asks libxcrypt itself
    // when it starts.
    constexpr std::string_view kStrong[] = {"$y$", "$gy$", "$7$", "$2b$", "$2y$", "$6$", "$5$"};
    const bool strong = std::any_of(std::begin(kStrong), std::end(kStrong),
                                    [&](std::string_view p) { return hash.rfind(p, 0) == 0; });
    const bool charset = std::all_of(hash.begin(), hash.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '$' || c == '.' || c == '/' || c == '=' || c == ',';
    });
    if (strong && charset && std::count(hash.begin(), hash.end(), '$') >= 3 && hash.back() != '$') return std::nullopt;
    // Traditional DES: 13 characters of the hash alphabet, no '$'.
    const bool des = hash.size() == 13 && charset && hash.find('$') == std::string::npos;
    if (hash.rfind("$1$", 0) == 0 || des)
        return "this is an MD5 or DES crypt hash, too weak to guard operator commands: make one with "
               "`fuseguard --hash-password` (yescrypt) or `openssl passwd -6`";
    return "expected a crypt(3) hash ($y$..., $2b$..., $6$... or $5$...), e.g. from `fuseguard --hash-password` "
           "or `openssl passwd -6`; a password in clear is not accepted";
}

}  // namespace fuseguard::config
