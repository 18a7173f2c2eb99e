// MQTT with a password and TLS: fuseguard's link to a real mosquitto that
// only accepts authenticated TLS clients on one listener (a second, plain
// listener lets the test watch what arrives).
#include <doctest/doctest.h>

#include <csignal>
#include <regex>

#include "common/certificates.hpp"
#include "common/child_process.hpp"
#include "common/temp_dir.hpp"
#include "mqtt_fixture.hpp"

using namespace fuseguard::test;
using namespace std::chrono_literals;

namespace {

struct SecureBroker {
    TempDir dir;
    Certificates certs;
    std::uint16_t plain = free_port(), secure = free_port();
    std::unique_ptr<ChildProcess> process;

    SecureBroker() {
        const auto ran_code = run({"/usr/bin/mosquitto_passwd", "-c", "-b", (dir.path / "passwords").string(), "gateway", "s3cret"});
        // Named, not a structured binding: clang 14 cannot capture one in INFO's lambda.
        const auto& code = ran_code.first;
        const auto& out = ran_code.second;
        REQUIRE_MESSAGE(code == 0, out);
        const auto conf = dir.write("mosquitto.conf",
                                    "per_listener_settings true\n"
                                    "listener " + std::to_string(plain) + " 127.0.0.1\nallow_anonymous true\n"
                                    "listener " + std::to_string(secure) + " 127.0.0.1\nallow_anonymous false\n"
                                    "password_file " + (dir.path / "passwords").string() + "\n"
                                    "cafile " + certs.path("ca.pem") + "\ncertfile " + certs.path("server.pem") +
                                    "\nkeyfile " + certs.path("server.key") + "\n"
                                    // As root, mosquitto would drop to its own user, who cannot
                                    // read this test's private directory.
                                    "user root\npersistence false\nlog_dest stderr\nlog_type all\n");
        process = std::make_unique<ChildProcess>(std::vector<std::string>{"/usr/sbin/mosquitto", "-c", conf});
        const bool up = process->wait_for("running", 10s);
        INFO(process->output());
        REQUIRE(up);
    }

    std::string site(const std::string& password) const {
        return dir.write("site.yaml", "site: { id: test, fuse_limit_a: 40 }\n"
                                      "ocpp: { listen: 127.0.0.1:0 }\n"
                                      "mqtt:\n"
                                      "  broker: ssl://127.0.0.1:" + std::to_string(secure) + "\n"
                                      "  topic_prefix: sec\n"
                                      "  username: gateway\n"
                                      "  password: " + password + "\n"
                                      "  tls: { ca: " + certs.path("ca.pem") + " }\n"
                                      "state_dir: " + (dir.path / "state").string() + "\n");
    }
};

}  // namespace

TEST_SUITE("MqttSecurity") {
    TEST_CASE("over TLS with a username and password fuseguard publishes - with a wrong one it keeps running") {
        SecureBroker broker;
        MqttWatcher watch(broker.plain, "sec/#");
        {
            ChildProcess fg({FUSEGUARD_BINARY, "--config", broker.site("s3cret")});
            CHECK(watch.wait_text("sec/status", [](const std::string& t) { return t == "online"; }, 15s));
            CHECK(watch.wait_json("sec/site", [](const nlohmann::json& j) { return j.contains("fuse_limit_a"); }));
            fg.signal(SIGTERM);
            CHECK(fg.wait_exit(10s) == 0);
            CHECK(watch.wait_text("sec/status", [](const std::string& t) { return t == "offline"; }));
        }
        ChildProcess bad({FUSEGUARD_BINARY, "--config", broker.site("wrong")});
        CHECK(bad.wait_for("mqtt: cannot connect to ssl://127.0.0.1", 15s));
        CHECK(broker.process->wait_for("not authorised", 10s));
        CHECK(bad.running());
        CHECK(watch.last("sec/status") == "offline");  // nothing got through
        bad.signal(SIGTERM);
        CHECK(bad.wait_exit(10s) == 0);
    }
}
