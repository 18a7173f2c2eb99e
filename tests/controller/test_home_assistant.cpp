// Home Assistant MQTT discovery on the real binary with a real mosquitto
// (docs/dashboard.md "Home Assistant"): every config payload checked field
// by field against HA's MQTT discovery schema for the entity types used,
// every value template rendered (Jinja2) against what fuseguard publishes,
// and a station taken out of the configuration removed, by a reload and
// across a restart.
#include <doctest/doctest.h>

#include <regex>
#include <set>

#include "site_under_test.hpp"

using namespace fuseguard::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

std::string with_home_assistant(std::string yaml) {
    const std::string key = "topic_prefix: fg }";
    REQUIRE(yaml.find(key) != std::string::npos);
    return yaml.replace(yaml.find(key), key.size(), "topic_prefix: fg, home_assistant: true }");
}

std::string without_station(std::string yaml, const std::string& id) {
    const auto at = yaml.find("  - { id: " + id + ",");
    REQUIRE(at != std::string::npos);
    return yaml.erase(at, yaml.find('\n', at) + 1 - at);
}

// HA's MQTT discovery schema for the two entity types announced: the keys
// each accepts (of those fuseguard could use), and the device classes.
const std::set<std::string> kCommonKeys = {"name",   "state_topic", "value_template",        "device_class",
                                           "unique_id", "availability_topic", "payload_available",
                                           "payload_not_available", "device", "icon"};
const std::set<std::string> kSensorOnlyKeys = {"unit_of_measurement", "state_class", "options"};
const std::set<std::string> kDeviceKeys = {"identifiers", "name", "manufacturer", "model", "via_device", "sw_version"};

void check_config(const std::string& topic, const json& c, std::set<std::string>& unique_ids,
                  std::set<std::string>& devices) {
    CAPTURE(topic);
    std::smatch m;
    REQUIRE(std::regex_match(topic, m, std::regex("homeassistant/(sensor|binary_sensor)/([A-Za-z0-9_-]+)/([A-Za-z0-9_-]+)/config")));
    const bool sensor = m[1] == "sensor";
    for (const auto& item : c.items()) {
        const std::string key = item.key();  // clang 14 cannot capture a structured binding (docs/testing.md)
        CAPTURE(key);
        CHECK((kCommonKeys.count(key) || (sensor && kSensorOnlyKeys.count(key))));
    }
    REQUIRE(c["unique_id"].is_string());
    CHECK(unique_ids.insert(c["unique_id"].get<std::string>()).second);
    CHECK(c["name"].is_string());
    CHECK(c["state_topic"].is_string());
    CHECK(c["value_template"].is_string());
    CHECK(c["availability_topic"] == "fg/status");
    CHECK(c["payload_available"] == "online");
    CHECK(c["payload_not_available"] == "offline");
    const auto& d = c["device"];
    REQUIRE(d.is_object());
    for (const auto& item : d.items()) {
        const std::string key = item.key();
        CAPTURE(key);
        CHECK(kDeviceKeys.count(key));
    }
    REQUIRE(d["identifiers"].is_array());
    CHECK(d["identifiers"].size() >= 1);
    CHECK(d["name"].is_string());
    devices.insert(d["identifiers"][0].get<std::string>());
    if (d.contains("via_device")) CHECK(d["via_device"].is_string());
    if (sensor) {
        const std::string cls = c.value("device_class", "");
        if (cls == "current") {
            CHECK(c["unit_of_measurement"] == "A");
            CHECK(c["state_class"] == "measurement");
        } else if (cls == "enum") {
            // HA refuses an enum sensor with a unit or a state class.
            CHECK(c["options"].is_array());
            CHECK_FALSE(c.contains("unit_of_measurement"));
            CHECK_FALSE(c.contains("state_class"));
        } else {
            CHECK(cls.empty());
            if (c.contains("state_class")) CHECK(c["state_class"] == "measurement");
        }
    } else {
        CHECK(c["device_class"] == "problem");
    }
}

}  // namespace

TEST_SUITE("HomeAssistant") {
    TEST_CASE("discovery: every entity fits HA's schema and renders from what fuseguard publishes; a station taken out is removed") {
        SiteUnderTest site;
        site.stop();
        site.dir.write("site.yaml", with_home_assistant(site.yaml(40)));
        site.start();
        MqttWatcher ha(site.broker.port(), "homeassistant/#");
        MqttWatcher fg(site.broker.port(), "fg/#");
        auto a = charging(site, "A");
        report_draw(*a, 12);
        REQUIRE(fg.wait_json("fg/chargers/A", [](const json& j) { return j["draw_a"] == json::array({12, 12, 12}); }));

        // The site (9 per-phase figures and the notifications) and six
        // entities per station.
        const auto a_error = "homeassistant/binary_sensor/fuseguard_test/charger_A_error/config";
        const auto b_state = "homeassistant/sensor/fuseguard_test/charger_B_state/config";
        REQUIRE(ha.wait_text(a_error, [](const std::string& t) { return !t.empty(); }));
        REQUIRE(ha.wait_text(b_state, [](const std::string& t) { return !t.empty(); }));
        std::vector<std::string> topics;
        for (const char* kind : {"site_available_a", "site_allocated_a", "site_non_ev_load_a"})
            for (const char* p : {"_l1", "_l2", "_l3"})
                topics.push_back(std::string("homeassistant/sensor/fuseguard_test/") + kind + p + "/config");
        topics.push_back("homeassistant/sensor/fuseguard_test/notifications/config");
        for (const char* s : {"A", "B"}) {
            const std::string base = std::string("homeassistant/sensor/fuseguard_test/charger_") + s;
            for (const char* e : {"_state", "_limit", "_draw_l1", "_draw_l2", "_draw_l3"}) topics.push_back(base + e + "/config");
            topics.push_back(std::string("homeassistant/binary_sensor/fuseguard_test/charger_") + s + "_error/config");
        }
        std::set<std::string> unique_ids, devices;
        json cases = json::array();
        for (const auto& topic : topics) {
            const auto text = ha.wait_text(topic, [](const std::string& t) { return !t.empty(); }, 5s);
            REQUIRE_MESSAGE(text, topic << " was not announced");
            const auto c = json::parse(*text);
            check_config(topic, c, unique_ids, devices);
            const auto state = fg.last(c["state_topic"].get<std::string>());
            REQUIRE_MESSAGE(state, c["state_topic"] << " is not published");
            cases.push_back({{"template", c["value_template"]}, {"payload", *state}});
        }
        CHECK(devices == std::set<std::string>{"fuseguard_test", "fuseguard_test_A", "fuseguard_test_B"});

        // Rendered as HA would (value_json is the payload), each is a value
        // HA accepts for its entity.
        const auto file = site.dir.write("cases.json", cases.dump());
        ChildProcess render({"/usr/bin/python3", FUSEGUARD_SOURCE_DIR "/tests/controller/ha_render.py", file});
        const auto exit_code = render.wait_exit(30s);
        INFO(render.output());
        REQUIRE(exit_code == 0);
        const auto out = render.output();
        const auto values = json::parse(out.substr(out.find('[')));
        REQUIRE(values.size() == topics.size());
        for (std::size_t i = 0; i < topics.size(); ++i) {
            CAPTURE(topics[i]);
            const std::string v = values[i];
            if (topics[i].find("_state/") != std::string::npos) CHECK((v == "online" || v == "offline" || v == "unknown"));
            else if (topics[i].find("binary_sensor") != std::string::npos) CHECK((v == "ON" || v == "OFF"));
            else CHECK_NOTHROW((void)std::stod(v));
        }
        // What they show: A's draw and limit, B not charging, no error.
        auto value_of = [&](const std::string& suffix) {
            for (std::size_t i = 0; i < topics.size(); ++i)
                if (topics[i].find(suffix) != std::string::npos) return values[i].get<std::string>();
            return std::string();
        };
        CHECK(value_of("charger_A_draw_l2/") == "12.0");
        CHECK(value_of("charger_A_state/") == "online");
        CHECK(value_of("charger_A_error/") == "OFF");
        CHECK(value_of("site_non_ev_load_a_l1/") == "4.0");

        // B taken out by a reload: its entities go.
        site.dir.write("site.yaml", without_station(with_home_assistant(site.yaml(40)), "B"));
        site.process->signal(SIGHUP);
        CHECK(ha.wait_text(b_state, [](const std::string& t) { return t.empty(); }));
        CHECK(ha.last(a_error).value_or("").size() > 0);
        // A taken out while fuseguard is stopped: removed when it starts again.
        REQUIRE(site.stop() == 0);
        site.dir.write("site.yaml", without_station(without_station(with_home_assistant(site.yaml(40)), "B"), "A"));
        site.start();
        CHECK(ha.wait_text(a_error, [](const std::string& t) { return t.empty(); }));
    }
}
