#pragma once
// The installer's YAML as typed, validated values (SPEC 2). Units are in the
// names, as in the file. Nothing here talks to devices.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace fuseguard::config {

// A `_s` value of the configuration as a duration for the steady clock's
// timers and deadlines.
inline std::chrono::steady_clock::duration seconds(double s) {
    return std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(s));
}

// 1-based, as editors show them.
struct SourceMark {
    int line = 0;
    int column = 0;
};

struct CircuitConfig {
    std::string id;
    double fuse_limit_a = 0;
    std::vector<CircuitConfig> circuits;
    SourceMark mark;
};

struct SiteConfig {
    std::string id;
    double fuse_limit_a = 0;
    double safety_margin_a = 0;
    std::vector<CircuitConfig> circuits;
};

enum class PolicyMode { Standard, Strict };

struct PolicyConfig {
    PolicyMode mode = PolicyMode::Standard;
    double min_current_a = 6;
    double reclaim_margin_a = 2;  // extension: see docs/configuration.md
    // A limit changes by at least this much, unless the fuse needs a smaller
    // lowering (SPEC 3, calm limits; docs/allocation.md). 0: every change.
    double calm_step_a = 1;
    // A station not charging starts only where its minimum and this much
    // more fit (docs/allocation.md, "Starting and pausing").
    double start_margin_a = 1;
    // Count an offline station at its fallback even when GetCompositeSchedule
    // could not show that it holds the step down to it (SPEC 1).
    bool trust_unverified_fallback = false;
};

struct TcpEndpoint {
    std::string host;
    std::uint16_t port = 502;
};

struct SerialEndpoint {
    std::string device;
    int baud = 9600;
    char parity = 'N';  // N, E or O
    int data_bits = 8;
    int stop_bits = 1;
};

struct ModbusConfig {
    std::variant<TcpEndpoint, SerialEndpoint> transport;
    int unit_id = 1;
    double timeout_s = 1;
};

enum class RegisterFunction { Holding = 3, Input = 4 };
enum class RegisterType { Int16, Uint16, Int32, Uint32, Float32 };
enum class WordOrder { HighFirst, LowFirst };

struct RegisterConfig {
    std::vector<int> addresses;  // one, or three (L1, L2, L3) when per phase
    RegisterFunction function = RegisterFunction::Holding;
    RegisterType type = RegisterType::Uint16;
    WordOrder word_order = WordOrder::HighFirst;
    double scale = 1;
    bool invert = false;  // for devices that count import as negative
    bool per_phase = false;
    SourceMark mark;
};

enum class MeterMeasures { Total, NonEv };

// Shared by meters and EMS: a polled Modbus device.
struct PolledDevice {
    std::string id;
    std::string circuit = "site";
    ModbusConfig modbus;
    std::optional<std::string> profile;            // a built-in register map
    std::map<std::string, RegisterConfig> registers;  // or the installer's own
    double poll_interval_s = 1;
    double offline_after_s = 5;
    double fallback_a = 0;
    SourceMark mark;
};

struct MeterConfig : PolledDevice {
    MeterMeasures measures = MeterMeasures::Total;
};

struct EmsConfig : PolledDevice {};

struct ChargerConfig {
    std::string id;
    std::string circuit = "site";
    int phases = 3;
    std::string phase_rotation = "L1L2L3";
    double max_current_a = 0;
    std::optional<double> fallback_current_a;
    int priority = 0;
    std::optional<std::string> password;
    // Local controller (backend:): who the station is to the CSMS, when not
    // its own identity, and the basic-auth password fuseguard gives there.
    std::optional<std::string> backend_identity;
    std::optional<std::string> backend_password;
    SourceMark mark;
};

struct TlsConfig {
    std::string cert;
    std::string key;
    std::optional<std::string> client_ca;  // security profile 3
};

enum class ProfilePurpose { ChargePointMaxProfile, TxDefaultProfile };

// Bounds of ocpp.failsafe_after_s: below the minimum the renewals (every
// half of it) would be writes a station may refuse; above the maximum a lost
// station's share would be held for most of a day.
inline constexpr double kMinFailsafeAfterS = 5;
inline constexpr double kMaxFailsafeAfterS = 3600;

struct OcppConfig {
    std::string listen_host = "0.0.0.0";
    std::uint16_t listen_port = 9000;  // 0: any free port (tests)
    std::optional<TlsConfig> tls;
    double heartbeat_interval_s = 60;
    double ping_interval_s = 10;
    double offline_after_s = 30;
    ProfilePurpose profile_purpose = ProfilePurpose::ChargePointMaxProfile;
    // A station left alone steps itself down to its fallback this long after
    // fuseguard last renewed its profiles (SPEC 5, docs/ocpp.md "Failsafe").
    double failsafe_after_s = 300;
    // How long a station may take to apply a schedule's step (it evaluates
    // its profiles every so often), counted on top of failsafe_after_s.
    double profile_eval_delay_s = 30;
};

// The operator's CSMS, with fuseguard as OCPP local controller (SPEC 5,
// docs/ocpp.md "Local controller").
struct BackendConfig {
    std::string url;  // as written
    bool tls = false;  // wss://
    std::string host;
    std::uint16_t port = 80;
    std::string path = "/";  // ends with '/': the station's identity follows
    std::optional<std::string> ca;  // trusted CAs for wss (default: the system's)
    std::optional<std::string> cert;  // fuseguard's client certificate (security profile 3)
    std::optional<std::string> key;
    std::optional<std::string> password;  // basic auth for stations without their own backend_password
    // How long a station's CALL waits for the CSMS's answer before fuseguard
    // answers it (and, for transaction messages, keeps it for the replay).
    double answer_timeout_s = 10;
    // Reconnection backs off from 1 s to this, with jitter, per station.
    double reconnect_max_s = 60;
    // Transaction messages kept per station while the CSMS is unreachable;
    // past it MeterValues are dropped first.
    int queue_limit = 10000;
};

struct AuthorizedTag {
    std::string id;
    int priority = 0;
    SourceMark mark;
};

// Tags allowed to charge without a CSMS, or while it is unreachable.
struct AuthorizationConfig {
    bool accept_unknown = false;  // unknown_tags: accept | reject
    std::vector<AuthorizedTag> tags;
};

struct MqttTlsConfig {
    std::optional<std::string> ca;
    std::optional<std::string> cert;
    std::optional<std::string> key;
};

struct MqttConfig {
    std::string broker;  // as written
    bool tls_transport = false;  // ssl:// or mqtts://
    std::string host;
    std::uint16_t port = 1883;
    std::string topic_prefix;
    std::optional<std::string> username;
    std::optional<std::string> password;
    std::optional<MqttTlsConfig> tls;
    std::string client_id;
    // Home Assistant MQTT discovery (docs/dashboard.md): config topics under
    // discovery_prefix for the site and each station.
    bool home_assistant = false;
    std::string discovery_prefix = "homeassistant";
};

// The built-in dashboard and /metrics (SPEC 9, docs/dashboard.md): one HTTP
// server, off unless the section is there, on loopback unless told otherwise.
// Who may run operator commands from the dashboard (SPEC 9): one user and a
// crypt(3) hash of the password (yescrypt, bcrypt, sha512crypt or
// sha256crypt; `fuseguard --hash-password` or `openssl passwd -6` makes one).
struct HttpLogin {
    std::string user;
    std::string password_hash;
    bool operator==(const HttpLogin&) const = default;
};

struct HttpConfig {
    std::string listen_host = "127.0.0.1";
    std::uint16_t listen_port = 8080;  // 0: any free port (tests)
    bool dashboard = true;  // the page, its state and its live updates
    bool metrics = true;    // Prometheus text on /metrics
    std::optional<HttpLogin> login;  // none: the page is read-only for everyone
};

struct Config {
    std::string source;  // the file it came from
    SiteConfig site;
    PolicyConfig policy;
    std::vector<MeterConfig> meters;
    std::vector<EmsConfig> ems;
    std::vector<ChargerConfig> chargers;
    OcppConfig ocpp;
    std::optional<BackendConfig> backend;
    std::optional<AuthorizationConfig> authorization;
    std::optional<MqttConfig> mqtt;
    std::optional<HttpConfig> http;
    std::string state_dir = "/var/lib/fuseguard";
};

// Built-in meter register maps (drivers/modbus implements them).
const std::vector<std::string>& builtin_meter_profiles();

}  // namespace fuseguard::config
