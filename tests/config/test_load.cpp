#include <doctest/doctest.h>

#include <filesystem>

#include "config/load.hpp"

using namespace fuseguard::config;

namespace {
const char* kMinimal = R"(site:
  id: s1
  fuse_limit_a: 100
chargers:
  - id: CP1
    max_current_a: 32
ocpp:
  listen: 127.0.0.1:9000
)";
}  // namespace

TEST_SUITE("ConfigLoad") {
    TEST_CASE("every example file validates") {
        int seen = 0;
        for (const auto& e : std::filesystem::directory_iterator(FUSEGUARD_SOURCE_DIR "/examples")) {
            if (e.path().extension() != ".yaml") continue;
            ++seen;
            auto r = load_file(e.path().string());
            INFO(e.path().string() << "\n" << to_string(r.errors));
            CHECK(r.ok());
        }
        CHECK(seen >= 1);
    }

    TEST_CASE("defaults are those of the spec") {
        auto r = load_string(kMinimal, "<test>");
        REQUIRE_MESSAGE(r.ok(), to_string(r.errors));
        const Config& c = *r.config;
        CHECK(c.site.safety_margin_a == 0);
        CHECK(c.policy.mode == PolicyMode::Standard);
        CHECK(c.policy.min_current_a == 6);
        CHECK(c.chargers[0].circuit == "site");
        CHECK(c.chargers[0].phases == 3);
        CHECK(c.chargers[0].phase_rotation == "L1L2L3");
        CHECK_FALSE(c.chargers[0].fallback_current_a);
        CHECK(c.chargers[0].priority == 0);
        CHECK(c.ocpp.listen_port == 9000);
        CHECK(c.ocpp.heartbeat_interval_s == 60);
        CHECK(c.ocpp.ping_interval_s == 10);
        CHECK(c.ocpp.offline_after_s == 30);
        CHECK(c.ocpp.profile_purpose == ProfilePurpose::ChargePointMaxProfile);
        CHECK(c.ocpp.failsafe_after_s == 300);
        CHECK(c.ocpp.profile_eval_delay_s == 30);
        CHECK_FALSE(c.mqtt);
        CHECK_FALSE(c.http);
        CHECK(c.state_dir == "/var/lib/fuseguard");
    }

    TEST_CASE("http: alone serves the dashboard and /metrics on loopback port 8080") {
        auto r = load_string(std::string(kMinimal) + "http:\n", "<test>");
        REQUIRE_MESSAGE(r.ok(), to_string(r.errors));
        REQUIRE(r.config->http);
        CHECK(r.config->http->listen_host == "127.0.0.1");
        CHECK(r.config->http->listen_port == 8080);
        CHECK(r.config->http->dashboard);
        CHECK(r.config->http->metrics);
        CHECK(r.warnings.empty());

        r = load_string(std::string(kMinimal) + "http:\n  listen: \"[::]:8081\"\n  dashboard: false\n", "<test>");
        REQUIRE_MESSAGE(r.ok(), to_string(r.errors));
        CHECK(r.config->http->listen_host == "::");
        CHECK(r.config->http->listen_port == 8081);
        CHECK_FALSE(r.config->http->dashboard);
        CHECK(r.config->http->metrics);

        // Nothing left to serve: loads, with a warning that says so.
        r = load_string(std::string(kMinimal) + "http:\n  dashboard: false\n  metrics: false\n", "<test>");
        REQUIRE_MESSAGE(r.ok(), to_string(r.errors));
        REQUIRE(r.warnings.size() == 1);
        CHECK(r.warnings[0].message.find("not started") != std::string::npos);
    }

    TEST_CASE("http.login: a user and a crypt(3) hash; none means a read-only page") {
        auto r = load_string(std::string(kMinimal) + "http:\n", "<test>");
        REQUIRE(r.ok());
        CHECK_FALSE(r.config->http->login);
        const std::string yescrypt = "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7";
        r = load_string(std::string(kMinimal) + "http:\n  login:\n    user: operator\n    password_hash: '" + yescrypt + "'\n",
                        "<test>");
        REQUIRE_MESSAGE(r.ok(), to_string(r.errors));
        REQUIRE(r.config->http->login);
        CHECK(r.config->http->login->user == "operator");
        CHECK(r.config->http->login->password_hash == yescrypt);
        // A login with the dashboard off has nowhere to be used.
        r = load_string(std::string(kMinimal) + "http:\n  dashboard: false\n  login:\n    user: operator\n    password_hash: '" +
                            yescrypt + "'\n",
                        "<test>");
        REQUIRE(r.ok());
        REQUIRE(r.warnings.size() == 1);
        CHECK(r.warnings[0].message.find("nobody can log in") != std::string::npos);
    }

    TEST_CASE("a full file reads into typed values") {
        auto r = load_string(R"(site:
  id: depot
  fuse_limit_a: 250
  safety_margin_a: 5
  circuits:
    - id: a
      fuse_limit_a: 125
      circuits:
        - { id: a1, fuse_limit_a: 63 }
policy: { mode: strict, min_current_a: 8 }
meters:
  - id: grid
    measures: non_ev
    modbus: { serial: /dev/ttyUSB0, baud: 19200, parity: E, unit_id: 7 }
    registers:
      current_a: { addresses: [10, 20, 30], type: float32, word_order: little, function: input }
    fallback_a: 50
ems:
  - id: ems
    circuit: a
    modbus: { host: 10.0.0.5, port: 1502 }
    registers:
      reserved_current_a: { address: 100, type: uint16, scale: 0.1, per_phase: true }
    fallback_a: 100
chargers:
  - { id: CP1, circuit: a1, phases: 1, phase_rotation: L3, max_current_a: 16, fallback_current_a: 6, priority: 2, password: pw }
ocpp:
  listen: "[::]:9443"
  tls: { cert: /etc/c.pem, key: /etc/k.pem, client_ca: /etc/ca.pem }
  profile_purpose: TxDefaultProfile
  failsafe_after_s: 120
  profile_eval_delay_s: 10
mqtt:
  broker: ssl://broker.local
  username: fg
  password: pw
state_dir: /tmp/fg
)",
                             "<full>");
        REQUIRE_MESSAGE(r.ok(), to_string(r.errors));
        const Config& c = *r.config;
        CHECK(c.site.circuits[0].circuits[0].id == "a1");
        CHECK(c.policy.mode == PolicyMode::Strict);
        const auto& serial = std::get<SerialEndpoint>(c.meters[0].modbus.transport);
        CHECK(serial.device == "/dev/ttyUSB0");
        CHECK(serial.parity == 'E');
        CHECK(c.meters[0].modbus.unit_id == 7);
        CHECK(c.meters[0].measures == MeterMeasures::NonEv);
        const auto& cur = c.meters[0].registers.at("current_a");
        CHECK(cur.addresses == std::vector<int>{10, 20, 30});
        CHECK(cur.type == RegisterType::Float32);
        CHECK(cur.word_order == WordOrder::LowFirst);
        CHECK(cur.function == RegisterFunction::Input);
        const auto& res = c.ems[0].registers.at("reserved_current_a");
        CHECK(res.addresses == std::vector<int>{100, 101, 102});
        CHECK(res.scale == doctest::Approx(0.1));
        CHECK(std::get<TcpEndpoint>(c.ems[0].modbus.transport).port == 1502);
        CHECK(c.chargers[0].phase_rotation == "L3");
        CHECK(c.ocpp.listen_host == "::");
        CHECK(c.ocpp.listen_port == 9443);
        CHECK(c.ocpp.tls->client_ca == "/etc/ca.pem");
        CHECK(c.ocpp.profile_purpose == ProfilePurpose::TxDefaultProfile);
        CHECK(c.ocpp.failsafe_after_s == 120);
        CHECK(c.ocpp.profile_eval_delay_s == 10);
        CHECK(c.mqtt->tls_transport);
        CHECK(c.mqtt->port == 8883);
        CHECK(c.mqtt->topic_prefix == "fuseguard/depot");
    }

    TEST_CASE("all errors are reported at once / each with its place") {
        auto r = load_string(R"(site:
  id: s1
  fuse_limit_a: -5
chargers:
  - id: CP1
    max_current_a: lots
ocpp:
  listen: nowhere
)",
                             "many.yaml");
        REQUIRE_FALSE(r.ok());
        REQUIRE(r.errors.size() == 3);
        CHECK(r.errors[0].to_string() == "many.yaml:3:17: error: site.fuse_limit_a: expected a positive number of amperes, got -5");
        CHECK(r.errors[1].line == 6);
        CHECK(r.errors[1].key == "chargers[0].max_current_a");
        CHECK(r.errors[2].line == 8);
    }

    TEST_CASE("an unknown key suggests the nearest known one") {
        auto r = load_string(std::string(kMinimal) + "policy:\n  min_curent_a: 6\n", "<test>");
        REQUIRE(r.errors.size() == 1);
        CHECK(r.errors[0].line == 10);
        CHECK(r.errors[0].column == 3);
        CHECK(r.errors[0].message.find("did you mean 'min_current_a'?") != std::string::npos);
    }

    TEST_CASE("a child board above its parent is a warning / not an error") {
        auto r = load_string(R"(site:
  id: s1
  fuse_limit_a: 100
  circuits:
    - { id: big, fuse_limit_a: 160 }
ocpp: { listen: 127.0.0.1:9000 }
)",
                             "<test>");
        CHECK(r.ok());
        REQUIRE(r.warnings.size() == 1);
        CHECK(r.warnings[0].line == 5);
        CHECK(r.warnings[0].message.find("above its parent") != std::string::npos);
    }

    TEST_CASE("backend and authorization read into typed values, with the CSMS path ready for an identity") {
        auto r = load_string(R"(site: { id: s1, fuse_limit_a: 100 }
chargers:
  - id: CP1
    max_current_a: 32
    backend_identity: "DE*FG*E0001"
    backend_password: upstream-secret
ocpp: { listen: 127.0.0.1:9000 }
backend:
  url: wss://[::1]/ocpp/v16
  ca: /etc/fuseguard/csms-ca.pem
  cert: /etc/fuseguard/fg.pem
  key: /etc/fuseguard/fg.key
  answer_timeout_s: 4
authorization:
  unknown_tags: accept
  tags:
    - { id: 04A2B3C4, priority: 2 }
    - { id: FLEET-7 }
)",
                             "<test>");
        REQUIRE_MESSAGE(r.ok(), to_string(r.errors));
        const auto& b = *r.config->backend;
        CHECK(b.tls);
        CHECK(b.host == "::1");
        CHECK(b.port == 443);
        CHECK(b.path == "/ocpp/v16/");
        CHECK(b.cert == "/etc/fuseguard/fg.pem");
        CHECK(b.answer_timeout_s == 4);
        CHECK(b.reconnect_max_s == 60);
        CHECK(r.config->chargers[0].backend_identity == "DE*FG*E0001");
        CHECK(r.config->chargers[0].backend_password == "upstream-secret");
        const auto& a = *r.config->authorization;
        CHECK(a.accept_unknown);
        REQUIRE(a.tags.size() == 2);
        CHECK(a.tags[0].id == "04A2B3C4");
        CHECK(a.tags[0].priority == 2);
        CHECK(a.tags[1].priority == 0);

        auto plain = load_string(std::string(kMinimal) + "backend: { url: 'ws://csms.local:8180', password: p }\n",
                                 "<test>");
        REQUIRE_MESSAGE(plain.ok(), to_string(plain.errors));
        CHECK_FALSE(plain.config->backend->tls);
        CHECK(plain.config->backend->port == 8180);
        CHECK(plain.config->backend->path == "/");
        CHECK_FALSE(plain.config->authorization);
        REQUIRE(plain.warnings.size() == 1);
        CHECK(plain.warnings[0].message.find("in clear") != std::string::npos);
    }

    TEST_CASE("a missing file is an error / not a crash") {
        auto r = load_file("/nonexistent/fuseguard.yaml");
        REQUIRE_FALSE(r.ok());
        CHECK(r.errors[0].message == "cannot open the file");
    }
}
