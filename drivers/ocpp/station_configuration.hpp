#pragma once
// What fuseguard reads from a station after it boots, before configuring it:
// the measurands it already samples (so that Current.Import is added to them,
// never put in their place: the energy register the operator bills from
// stays, SPEC 5) and the limits its smart charging has (profile_rules.hpp).
// 1.6: GetConfiguration; 2.0.1: GetVariables on the device model.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "outbound.hpp"
#include "profile_rules.hpp"

namespace fuseguard::ocpp {

struct StationConfiguration {
    // Comma-separated, as the station holds it; none when it did not say.
    std::optional<std::string> sampled_measurands;
    ProfileCapabilities capabilities;
    bool capabilities_read = false;  // false: ProfileCapabilities' defaults stand
};

// The measurand fuseguard needs from every station.
inline constexpr std::string_view kNeededMeasurand = "Current.Import";
// What a station is taken to sample when it does not say: the energy
// register, which every 1.6 station samples by default and billing needs.
inline constexpr std::string_view kBillingMeasurand = "Energy.Active.Import.Register";

outbound::Request read_configuration_request(Version v);
// Reads the answer; anything it cannot read leaves the defaults.
StationConfiguration read_configuration_answer(Version v, const nlohmann::json& payload);

// `current` with `needed` added at the end unless it is already there.
std::string add_measurand(std::string_view current, std::string_view needed);

}  // namespace fuseguard::ocpp
