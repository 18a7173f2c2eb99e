#include "load.hpp"

#include <fstream>
#include <sstream>

#include "sections.hpp"

namespace fuseguard::config {

const std::vector<std::string>& builtin_meter_profiles() {
    static const std::vector<std::string> names{"eastron-sdm630", "sunspec", "abb-b23"};
    return names;
}

LoadResult load_string(std::string_view yaml, const std::string& source) {
    LoadResult result;
    Reader r(source, result.errors, result.warnings);
    YAML::Node root;
    try {
        root = YAML::Load(std::string(yaml));
    } catch (const YAML::Exception& e) {
        r.error({e.mark.line + 1, e.mark.column + 1}, "", "not valid YAML: " + e.msg);
        return result;
    }
    if (root.IsNull()) {
        r.error({1, 1}, "", "the file is empty; expected at least the site, chargers and ocpp sections");
        return result;
    }
    if (!r.map(root, "", {"site", "policy", "meters", "ems", "chargers", "ocpp", "backend", "authorization", "mqtt",
                           "http", "state_dir"}))
        if (!root.IsMap()) return result;

    Config c;
    c.source = source;
    if (auto e = r.find(root, "site")) read_site(r, e->value, c.site);
    else r.missing(root, "", "site", "the site's id and fuse_limit_a");
    if (auto e = r.find(root, "policy")) read_policy(r, e->value, c.policy);
    if (auto e = r.find(root, "meters")) read_meters(r, e->value, c.meters);
    if (auto e = r.find(root, "ems")) read_ems(r, e->value, c.ems);
    if (auto e = r.find(root, "chargers")) read_chargers(r, e->value, c.chargers);
    if (auto e = r.find(root, "ocpp")) read_ocpp(r, e->value, c.ocpp);
    if (auto e = r.find(root, "backend")) {
        BackendConfig b;
        read_backend(r, e->value, b);
        c.backend = b;
    }
    if (auto e = r.find(root, "authorization")) {
        AuthorizationConfig a;
        read_authorization(r, e->value, a);
        c.authorization = a;
    }
    if (auto e = r.find(root, "mqtt")) {
        MqttConfig m;
        read_mqtt(r, e->value, m);
        c.mqtt = m;
    }
    if (auto e = r.find(root, "http")) {
        HttpConfig h;
        read_http(r, e->value, h);
        c.http = h;
    }
    r.text(root, "", "state_dir", c.state_dir);
    if (r.error_count() == 0) validate(r, c);
    if (r.error_count() == 0) result.config = std::move(c);
    return result;
}

LoadResult load_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) {
        LoadResult result;
        result.errors.push_back({Severity::Error, path, 0, 0, "", "cannot open the file"});
        return result;
    }
    std::ostringstream text;
    text << in.rdbuf();
    return load_string(text.str(), path);
}

}  // namespace fuseguard::config
