#include "home_assistant.hpp"

#include <cctype>
#include <nlohmann/json.hpp>

namespace fuseguard::controller {

using nlohmann::json;

namespace {

// Node and object ids may hold letters, digits, '_' and '-' only.
std::string id_part(const std::string& text) {
    std::string out;
    for (unsigned char c : text) out += std::isalnum(c) || c == '-' ? static_cast<char>(c) : '_';
    return out;
}

class Announcer {
public:
    explicit Announcer(const config::Config& cfg)
        : mqtt_(*cfg.mqtt), node_("fuseguard_" + id_part(cfg.site.id)), site_id_(cfg.site.id) {}

    json site_device() const {
        return {{"identifiers", json::array({node_})},
                {"name", "fuseguard " + site_id_},
                {"manufacturer", "fuseguard"},
                {"model", "Site load manager"}};
    }
    json station_device(const std::string& station) const {
        return {{"identifiers", json::array({node_ + "_" + id_part(station)})},
                {"name", station},
                {"manufacturer", "fuseguard"},
                {"model", "Charging station under load management"},
                {"via_device", node_}};
    }

    // One entity: `object` names it within fuseguard's node.
    void add(const std::string& component, const std::string& object, json config) {
        config["unique_id"] = node_ + "_" + object;
        config["availability_topic"] = mqtt_.topic_prefix + "/status";
        config["payload_available"] = "online";
        config["payload_not_available"] = "offline";
        out_[mqtt_.discovery_prefix + "/" + component + "/" + node_ + "/" + object + "/config"] = config.dump();
    }
    void current(const std::string& object, const std::string& name, const std::string& topic,
                 const std::string& value_template, const json& device) {
        add("sensor", object,
            {{"name", name},
             {"state_topic", mqtt_.topic_prefix + "/" + topic},
             {"value_template", value_template},
             {"device_class", "current"},
             {"unit_of_measurement", "A"},
             {"state_class", "measurement"},
             {"device", device}});
    }
    std::map<std::string, std::string> take() { return std::move(out_); }

private:
    const config::MqttConfig& mqtt_;
    std::string node_;
    std::string site_id_;
    std::map<std::string, std::string> out_;
};

}  // namespace

std::map<std::string, std::string> home_assistant_discovery(const config::Config& cfg) {
    if (!cfg.mqtt || !cfg.mqtt->home_assistant) return {};
    Announcer a(cfg);
    const auto site = a.site_device();
    const struct {
        const char* key;
        const char* name;
    } figures[] = {{"available_a", "Available"}, {"allocated_a", "Allocated"}, {"non_ev_load_a", "Non-EV load"}};
    for (const auto& f : figures)
        for (int p = 0; p < 3; ++p) {
            const std::string phase = "L" + std::to_string(p + 1);
            a.current(std::string("site_") + f.key + "_l" + std::to_string(p + 1), std::string(f.name) + " " + phase, "site",
                      "{{ value_json." + std::string(f.key) + "[" + std::to_string(p) + "] }}", site);
        }
    a.add("sensor", "notifications",
          {{"name", "Notifications"},
           {"state_topic", cfg.mqtt->topic_prefix + "/notifications"},
           {"value_template", "{{ value_json | length }}"},
           {"state_class", "measurement"},
           {"icon", "mdi:alert-circle-outline"},
           {"device", site}});

    for (const auto& ch : cfg.chargers) {
        const auto device = a.station_device(ch.id);
        const std::string object = "charger_" + id_part(ch.id);
        const std::string topic = "chargers/" + ch.id;
        a.add("sensor", object + "_state",
              {{"name", "State"},
               {"state_topic", cfg.mqtt->topic_prefix + "/" + topic},
               {"value_template", "{{ value_json.state }}"},
               {"device_class", "enum"},
               {"options", json::array({"online", "offline", "unknown"})},
               {"device", device}});
        a.current(object + "_limit", "Limit", topic,
                  "{{ value_json.limit_a if value_json.limit_a is not none else 0 }}", device);
        for (int p = 0; p < 3; ++p)
            a.current(object + "_draw_l" + std::to_string(p + 1), "Draw L" + std::to_string(p + 1), topic,
                      "{{ value_json.draw_a[" + std::to_string(p) + "] if value_json.draw_a else 0 }}", device);
        // On while any connector reports an error code, whatever its status.
        a.add("binary_sensor", object + "_error",
              {{"name", "Error"},
               {"state_topic", cfg.mqtt->topic_prefix + "/" + topic},
               {"value_template",
                "{{ 'ON' if value_json.connectors | selectattr('errorCode', 'ne', 'NoError') | list | length > 0 "
                "else 'OFF' }}"},
               {"device_class", "problem"},
               {"device", device}});
    }
    return a.take();
}

}  // namespace fuseguard::controller
