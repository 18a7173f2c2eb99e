// The operator's CSMS (backend:) and the tags allowed to charge (authorization:).
#include <set>

#include "sections.hpp"

namespace fuseguard::config {

namespace {

// ws://HOST[:PORT][/PATH] or wss://...; the station's identity is appended
// to the path, so it always ends with '/'.
bool parse_backend_url(const std::string& url, BackendConfig& out) {
    const std::size_t sep = url.find("://");
    if (sep == std::string::npos) return false;
    const std::string scheme = url.substr(0, sep);
    if (scheme != "ws" && scheme != "wss") return false;
    out.tls = scheme == "wss";
    std::string rest = url.substr(sep + 3);
    const std::size_t slash = rest.find('/');
    std::string authority = rest.substr(0, slash);
    out.path = slash == std::string::npos ? "/" : rest.substr(slash);
    if (out.path.find_first_of("?# ") != std::string::npos) return false;
    if (out.path.back() != '/') out.path += '/';
    if (authority.empty() || authority.find('@') != std::string::npos) return false;
    const bool bracketed = authority.front() == '[';
    const std::size_t colon = authority.rfind(':');
    const bool has_port = bracketed ? authority.find("]:") != std::string::npos : colon != std::string::npos;
    if (!has_port) authority += out.tls ? ":443" : ":80";
    return parse_host_port(authority, out.host, out.port) && out.port != 0;
}

}  // namespace

void read_backend(Reader& r, const YAML::Node& n, BackendConfig& out) {
    if (!r.map(n, "backend", {"url", "ca", "cert", "key", "password", "answer_timeout_s", "reconnect_max_s",
                              "queue_limit"}))
        return;
    if (r.text(n, "backend", "url", out.url, true) && !parse_backend_url(out.url, out))
        r.error(r.find(n, "url")->mark, "backend.url",
                "expected ws://HOST[:PORT][/PATH] or wss://HOST[:PORT][/PATH] (the station's identity is "
                "appended), got '" + out.url + "'");
    r.text(n, "backend", "ca", out.ca);
    r.text(n, "backend", "cert", out.cert);
    r.text(n, "backend", "key", out.key);
    r.text(n, "backend", "password", out.password);
    r.number(n, "backend", "answer_timeout_s", out.answer_timeout_s, Bound::Positive);
    r.number(n, "backend", "reconnect_max_s", out.reconnect_max_s, Bound::Positive);
    r.integer(n, "backend", "queue_limit", out.queue_limit, 10, 1000000);
    if (out.cert.has_value() != out.key.has_value())
        r.error(Reader::mark_of(n), "backend", "expected cert and key together (a client certificate needs both)");
    if ((out.ca || out.cert) && !out.url.empty() && !out.tls)
        r.error(r.find(n, "url")->mark, "backend.url",
                "ca, cert and key are for a wss:// backend, but the url is '" + out.url + "'");
}

void read_authorization(Reader& r, const YAML::Node& n, AuthorizationConfig& out) {
    if (n.IsNull()) return;
    if (!r.map(n, "authorization", {"unknown_tags", "tags"})) return;
    if (auto c = r.choice(n, "authorization", "unknown_tags", {"reject", "accept"})) out.accept_unknown = *c == 1;
    auto e = r.find(n, "tags");
    if (!e || e->value.IsNull() || !r.sequence(e->value, "authorization.tags")) return;
    std::set<std::string> seen;
    for (std::size_t i = 0; i < e->value.size(); ++i) {
        const std::string key = indexed_key("authorization.tags", i);
        const YAML::Node& m = e->value[i];
        if (!r.map(m, key, {"id", "priority"})) continue;
        AuthorizedTag t;
        t.mark = Reader::mark_of(m);
        if (!r.text(m, key, "id", t.id, true)) continue;
        // OCPP 1.6 IdToken is at most 20 characters; 2.0.1 allows 36.
        if (t.id.empty() || t.id.size() > 36)
            r.error(t.mark, key + ".id", "expected a tag id of 1 to 36 characters, got '" + t.id + "'");
        r.integer(m, key, "priority", t.priority, -1000, 1000);
        if (!seen.insert(t.id).second) r.error(t.mark, key + ".id", "tag '" + t.id + "' is listed twice");
        out.tags.push_back(std::move(t));
    }
}

}  // namespace fuseguard::config
