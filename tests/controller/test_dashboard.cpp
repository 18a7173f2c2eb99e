// The built-in dashboard and /metrics on the real binary, against a real
// mosquitto, Modbus servers and stations (docs/dashboard.md): the page is fed
// the very payloads MQTT gets, live, and the metrics pass promtool.
#include <doctest/doctest.h>

#include <fstream>
#include <thread>
#include <nlohmann/json.hpp>

#include "common/eventually.hpp"
#include "common/dashboard_rows.hpp"
#include "common/headless_chromium.hpp"
#include "http/http_client.hpp"
#include "site_under_test.hpp"

using namespace fuseguard;
using namespace fuseguard::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// The test site with `http:` on a free loopback port; returns the port.
std::uint16_t serve_http(SiteUnderTest& site, const std::string& extra = "") {
    const auto port = free_port();
    site.stop();
    site.config = site.dir.write("site.yaml", site.yaml(40) + "http: { listen: 127.0.0.1:" + std::to_string(port) + extra + " }\n");
    site.start();
    REQUIRE(site.process->wait_for("listening on 127.0.0.1:" + std::to_string(port), 5s));
    return port;
}

// The next event of a live page whose data names `topic` and satisfies
// `pred`, or null at the deadline.
std::optional<json> next_update(Client& page, const std::string& topic, const std::function<bool(const json&)>& pred,
                                std::chrono::milliseconds deadline) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < until) {
        const auto event = page.read_until("\n\n");
        if (event.empty()) return std::nullopt;
        if (event.rfind("event: update\ndata: ", 0) != 0) continue;
        auto j = json::parse(event.substr(20, event.size() - 22));
        if (j["topic"] == topic && pred(j["body"])) return j["body"];
    }
    return std::nullopt;
}

bool has_code(const json& notes, const std::string& code) {
    for (const auto& n : notes)
        if (n["code"] == code) return true;
    return false;
}

}  // namespace

TEST_SUITE("Dashboard") {
    TEST_CASE("the page's state is what MQTT carries, and a station's error reaches a live page within a second") {
        SiteUnderTest site;
        const auto port = serve_http(site);
        CHECK(site.process->output().find("the dashboard on http://127.0.0.1:" + std::to_string(port) + "/") !=
              std::string::npos);
        MqttWatcher mqtt(site.broker.port(), "fg/#");
        auto a = charging(site, "A");
        REQUIRE(mqtt.wait_json("fg/chargers/A", [](const json& j) { return j["managed"] == true; }));

        // Every topic MQTT has, the page has, byte for byte once the site is quiet.
        Client c(port);
        CHECK(eventually(
            [&] {
                const auto state = json::parse(c.get("/api/state").body());
                for (const char* topic : {"site", "chargers/A", "chargers/B", "meters/grid", "ems/bms", "notifications"}) {
                    const auto published = mqtt.last(std::string("fg/") + topic);
                    if (!published || !state.contains(topic) || state[topic] != json::parse(*published)) return false;
                }
                return true;
            },
            10s));

        Client page(port);
        page.send("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        const auto snapshot_event = page.read_until("event: snapshot");
        REQUIRE_FALSE(snapshot_event.empty());
        page.read_until("\n\n");

        const auto raised = std::chrono::steady_clock::now();
        a->status(1, "Charging", "GroundFailure", {{"vendorErrorCode", "E042"}});
        const auto notes = next_update(page, "notifications", [](const json& b) { return has_code(b, "GroundFailure"); }, 5s);
        REQUIRE(notes);
        CHECK(std::chrono::steady_clock::now() - raised < 1s);
        for (const auto& n : *notes)
            if (n["code"] == "GroundFailure") {
                CHECK(n["device"] == "charger:A");
                CHECK(n["vendor_code"] == "E042");
                CHECK_FALSE(n["title"].get<std::string>().empty());
                CHECK(n["steps"].size() >= 1);
            }
        // The station row's connector carries the code too (the red mark).
        CHECK(json::parse(c.get("/api/state").body())["chargers/A"]["connectors"][0]["errorCode"] == "GroundFailure");

        a->status(1, "Charging");
        CHECK(next_update(page, "notifications", [](const json& b) { return !has_code(b, "GroundFailure"); }, 5s));
    }

    TEST_CASE("in a real browser: every station with live figures, an error in the tile within a second and gone when cleared") {
        SiteUnderTest site;
        const auto port = serve_http(site);
        MqttWatcher mqtt(site.broker.port(), "fg/#");
        auto a = charging(site, "A");
        auto b = site.station("B");
        b->boot();
        b->status(1, "Available");
        REQUIRE(mqtt.wait_json("fg/chargers/A", [](const json& j) { return j["managed"] == true; }));
        REQUIRE(mqtt.wait_json("fg/chargers/B", [](const json& j) { return j["state"] == "online"; }));
        // What the page should show for a station: MQTT's state and limit.
        auto row_of = [&](const std::string& id) { return station_row(id, json::parse(*mqtt.last("fg/chargers/" + id))); };

        HeadlessChromium browser("http://127.0.0.1:" + std::to_string(port) + "/", site.dir.path / "chromium");
        auto rows = [&] { return stations_table(browser); };
        json shown;
        CHECK_MESSAGE(eventually(
                          [&] {
                              shown = rows();
                              return shown == json::array({row_of("A"), row_of("B")});
                          },
                          10s),
                      "the page shows " << shown.dump() << "\n" << browser.output());
        CHECK(browser.evaluate("document.getElementById('link').textContent") == "live");
        CHECK(browser.evaluate("document.querySelectorAll('#budget .node[data-node=\"site\"] .phase').length") == 3);
        // Behind a total meter, what lowerings on their way may hide of the
        // non-EV load (non_ev_load_max_a) is drawn apart and never as free:
        // a site body as MQTT carries it, rendered in one synchronous call.
        const auto hidden = browser.evaluate(R"((() => {
            renderBudget({ fuse_limit_a: [40, 40, 40], non_ev_load_a: [4, 4, 4], non_ev_load_max_a: [9, 4, 4],
                           ems_reserved_a: [0, 0, 0], available_a: [36, 36, 36], allocated_a: [20, 20, 20], deductions: [] });
            const phases = [...document.querySelectorAll('#budget .node[data-node="site"] .phase')];
            const out = phases.map(ph => ({ hidden: ph.querySelector('.bar .hidden').style.width,
                                            free: ph.querySelector('.bar .available').style.width,
                                            text: ph.textContent }));
            render();
            return out;
        })())");
        INFO(hidden.dump());
        REQUIRE(hidden.size() == 3);
        CHECK(hidden[0]["hidden"] == "12.5%");  // 5 A of a 40 A fuse
        CHECK(hidden[0]["free"] == "27.5%");    // 36 - 20 - 5 = 11 A
        CHECK(hidden[0]["text"].get<std::string>().find("non-EV may be up to 9.0 A") != std::string::npos);
        CHECK(hidden[1]["hidden"] == "0%");
        CHECK(hidden[1]["free"] == "40%");
        CHECK(hidden[1]["text"].get<std::string>().find("may be up to") == std::string::npos);

        const auto raised = std::chrono::steady_clock::now();
        a->status(1, "Charging", "GroundFailure", {{"vendorErrorCode", "E042"}});
        const std::string in_tile =
            "[...document.querySelectorAll('#notes li[data-code]')].some(li => li.dataset.code === 'GroundFailure' && "
            "li.querySelectorAll('ol.steps li').length > 0)";
        REQUIRE(eventually([&] { return browser.evaluate(in_tile) == true; }, 5s));
        const auto took = std::chrono::steady_clock::now() - raised;
        MESSAGE("the error reached the tile in " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
        CHECK(took < 1s);
        // The red mark on its row, whatever its status (it is still Charging).
        CHECK(browser.evaluate("document.querySelector('tr[data-station=\"A\"] .error-mark') !== null") == true);
        CHECK(browser.evaluate("document.getElementById('note-count').textContent") != "0");
        // Kept as an artifact of the run, not committed.
        const auto png = std::filesystem::path(FUSEGUARD_BUILD_DIR) / "tests" / "artifacts" / "dashboard.png";
        browser.screenshot(png);
        CHECK(std::filesystem::file_size(png) > 10000);
        MESSAGE("screenshot: " << png.string());

        a->status(1, "Charging");
        CHECK(eventually([&] { return browser.evaluate(in_tile) == false; }, 5s));
        CHECK(browser.evaluate("document.querySelector('tr[data-station=\"A\"] .error-mark') === null") == true);
    }

    TEST_CASE("in a real browser: the login gate refuses a wrong password and a command without it; a logged-in operator's command reaches the station") {
        SiteUnderTest site;
        const auto hash = site.dir.path / "hash";
        // The hash made as an installer would: `fuseguard --hash-password`.
        REQUIRE(std::system(("echo 'open sesame' | " + std::string(FUSEGUARD_BINARY) + " --hash-password > " + hash.string()).c_str()) == 0);
        std::string password_hash;
        std::getline(std::ifstream(hash), password_hash);
        REQUIRE(password_hash.rfind("$y$", 0) == 0);
        const auto port = serve_http(site, ", login: { user: operator, password_hash: '" + password_hash + "' }");
        CHECK(site.process->output().find("operator commands after login") != std::string::npos);
        MqttWatcher mqtt(site.broker.port(), "fg/#");
        auto a = charging(site, "A");
        REQUIRE(mqtt.wait_json("fg/chargers/A", [](const json& j) { return j["managed"] == true; }));

        HeadlessChromium browser("http://127.0.0.1:" + std::to_string(port) + "/", site.dir.path / "chromium");
        REQUIRE(eventually([&] { return browser.evaluate("document.querySelector('tr[data-station=\"A\"]') !== null") == true; }, 10s));
        REQUIRE(eventually([&] { return browser.evaluate("!document.getElementById('login').hidden") == true; }, 5s));
        const std::string commands_shown =
            "getComputedStyle(document.querySelector('#stations th.operator')).display !== 'none'";
        CHECK(browser.evaluate(commands_shown) == false);
        // A command straight from the page's context, without a login.
        const std::string post_reset =
            "fetch('/api/chargers/A/reset', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: '{}'})"
            ".then(r => r.status)";
        CHECK(browser.evaluate(post_reset) == 401);

        auto log_in = [&](const std::string& password) {
            browser.evaluate("document.getElementById('login-user').value = 'operator';"
                             "document.getElementById('login-password').value = '" + password + "';"
                             "document.querySelector('#login button[type=submit]').click(); true");
        };
        log_in("open sesam");
        CHECK(eventually([&] { return browser.evaluate("document.getElementById('login-error').textContent") == "wrong user or password"; }, 5s));
        CHECK(browser.evaluate("document.getElementById('who').hidden") == true);
        CHECK(browser.evaluate(commands_shown) == false);
        CHECK(a->calls("Reset").empty());
        CHECK(site.process->output().find(": operator command ") == std::string::npos);

        // A wrong password holds the next attempt for a second (the throttle).
        std::this_thread::sleep_for(1100ms);
        log_in("open sesame");
        REQUIRE(eventually([&] { return browser.evaluate("document.getElementById('who').hidden") == false; }, 5s));
        CHECK(browser.evaluate("document.getElementById('who-name').textContent") == "operator");
        CHECK(browser.evaluate(commands_shown) == true);
        browser.evaluate("document.querySelector('tr[data-station=\"A\"] button[data-action=trigger_status]').click(); true");
        CHECK(a->wait_calls("TriggerMessage", [](auto& c) { return !c.empty(); }));
        CHECK(eventually([&] {
            return browser.evaluate("document.querySelector('#command-log li.ok')?.textContent.includes('A trigger_status: Accepted') === true") == true;
        }, 5s));
        browser.evaluate("document.querySelector('tr[data-station=\"A\"] button[data-action=unlock]').click(); true");
        CHECK(a->wait_calls("UnlockConnector", [](auto& c) { return c.size() == 1 && c[0].payload["connectorId"] == 1; }));
        CHECK_MESSAGE(site.process->wait_for("http (operator): operator command trigger_status for A", 5s), site.process->output());
        // The page's own fetch now carries the session: a reset goes through.
        CHECK(browser.evaluate(post_reset) == 200);
        CHECK(a->wait_calls("Reset", [](auto& c) { return c.size() == 1; }));

        // Logged out, the gate is shut again.
        browser.evaluate("document.getElementById('logout').click(); true");
        REQUIRE(eventually([&] { return browser.evaluate("document.getElementById('who').hidden") == true; }, 5s));
        CHECK(browser.evaluate(post_reset) == 401);
    }

    TEST_CASE("/metrics passes promtool check metrics and says what the site does") {
        SiteUnderTest site;
        const auto port = serve_http(site);
        auto a = charging(site, "A");
        Client c(port);
        std::string text;
        REQUIRE(eventually(
            [&] {
                text = c.get("/metrics").body();
                return text.find("fuseguard_station_state{station=\"A\",state=\"online\"} 1\n") != std::string::npos &&
                       text.find("fuseguard_device_state{device=\"meter:grid\",state=\"online\"} 1\n") != std::string::npos;
            },
            10s));
        CHECK(text.find("fuseguard_fuse_limit_amperes{node=\"site\",phase=\"L1\"} 40\n") != std::string::npos);
        CHECK(text.find("fuseguard_non_ev_load_amperes{node=\"site\",phase=\"L2\"} 4\n") != std::string::npos);
        CHECK(text.find("fuseguard_non_ev_load_max_amperes{node=\"site\",phase=\"L2\"} 4\n") != std::string::npos);
        CHECK(text.find("fuseguard_station_state{station=\"B\",state=\"online\"} 0\n") != std::string::npos);
        CHECK(text.find("# TYPE fuseguard_limits_sent_total counter\n") != std::string::npos);
        // Where the drivers went wrong, and how long the work took.
        a->send_raw("this is not OCPP-J");
        REQUIRE(eventually(
            [&] {
                text = c.get("/metrics").body();
                return text.find("fuseguard_ocpp_errors_total{station=\"A\",kind=\"bad_frame\"} 1\n") != std::string::npos;
            },
            5s));
        CHECK(text.find("fuseguard_modbus_reads_total{device=\"meter:grid\",result=\"good\"} ") != std::string::npos);
        CHECK(text.find("fuseguard_modbus_reads_total{device=\"meter:grid\",result=\"failed\"} 0\n") != std::string::npos);
        CHECK(text.find("# TYPE fuseguard_plan_duration_seconds histogram\n") != std::string::npos);
        CHECK(text.find("fuseguard_plan_duration_seconds_count 0\n") == std::string::npos);
        CHECK(text.find("fuseguard_plan_duration_seconds_bucket{le=\"+Inf\"} ") != std::string::npos);
        CHECK(text.find("fuseguard_publish_duration_seconds_count ") != std::string::npos);

        // promtool (Debian's prometheus package) lints the exposition.
        const auto file = site.dir.write("metrics.txt", text);
        ChildProcess promtool({"/bin/sh", "-c", "promtool check metrics < '" + file + "'"});
        const auto code = promtool.wait_exit(30s);
        INFO(promtool.output());
        CHECK(code == 0);
    }

    TEST_CASE("with the dashboard off only /metrics is served") {
        SiteUnderTest site;
        const auto port = serve_http(site, ", dashboard: false");
        Client c(port);
        CHECK(c.get("/").result() == boost::beast::http::status::not_found);
        CHECK(c.get("/metrics").result() == boost::beast::http::status::ok);
        CHECK(site.process->output().find("the dashboard on") == std::string::npos);
    }
}
