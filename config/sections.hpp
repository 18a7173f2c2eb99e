#pragma once
// One reader per top-level section of the file. Each fills its struct and
// records what is wrong; cross-section checks live in validate.cpp.
#include <optional>
#include <string>

#include "reader.hpp"

namespace fuseguard::config {

void read_site(Reader& r, const YAML::Node& n, SiteConfig& out);
void read_policy(Reader& r, const YAML::Node& n, PolicyConfig& out);
void read_meters(Reader& r, const YAML::Node& n, std::vector<MeterConfig>& out);
void read_ems(Reader& r, const YAML::Node& n, std::vector<EmsConfig>& out);
void read_chargers(Reader& r, const YAML::Node& n, std::vector<ChargerConfig>& out);
void read_ocpp(Reader& r, const YAML::Node& n, OcppConfig& out);
void read_backend(Reader& r, const YAML::Node& n, BackendConfig& out);
void read_authorization(Reader& r, const YAML::Node& n, AuthorizationConfig& out);
void read_mqtt(Reader& r, const YAML::Node& n, MqttConfig& out);
void read_http(Reader& r, const YAML::Node& n, HttpConfig& out);

// Cross-checks over the whole file: ids, references, limits, addresses.
void validate(Reader& r, Config& c);

// Why a password hash for http.login cannot be used (a clear password, a weak
// or unknown crypt(3) format), or none when its form is right.
std::optional<std::string> weak_or_malformed_hash(const std::string& hash);

// "host:port" or "[v6]:port". Returns false if it does not parse.
bool parse_host_port(const std::string& text, std::string& host, std::uint16_t& port);

}  // namespace fuseguard::config
