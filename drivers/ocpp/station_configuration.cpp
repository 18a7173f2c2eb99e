#include "station_configuration.hpp"

#include <charconv>
#include <map>

#include "comma_list.hpp"

namespace fuseguard::ocpp {

using nlohmann::json;

namespace {

constexpr const char* kMeasurandsKey16 = "MeterValuesSampledData";
constexpr const char* kStackLevelKey16 = "ChargeProfileMaxStackLevel";
constexpr const char* kPeriodsKey16 = "ChargingScheduleMaxPeriods";
constexpr const char* kRateUnitKey16 = "ChargingScheduleAllowedChargingRateUnit";

// The 2.0.1 variables, by component, in the order they are asked for.
struct Variable {
    const char* component;
    const char* variable;
};
constexpr Variable kVariables201[] = {{"SampledDataCtrlr", "TxUpdatedMeasurands"},
                                      {"SmartChargingCtrlr", "ProfileStackLevel"},
                                      {"SmartChargingCtrlr", "PeriodsPerSchedule"},
                                      {"SmartChargingCtrlr", "RateUnit"}};

std::optional<int> to_int(const std::string& s) {
    int v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || v < 0) return std::nullopt;
    return v;
}

// The values the station gave, keyed by 1.6 key names.
StationConfiguration from_values(const std::map<std::string, std::string>& values) {
    StationConfiguration out;
    auto get = [&](const char* key) -> const std::string* {
        const auto it = values.find(key);
        return it == values.end() ? nullptr : &it->second;
    };
    if (const auto* m = get(kMeasurandsKey16)) out.sampled_measurands = *m;
    const auto* stack = get(kStackLevelKey16);
    const auto* periods = get(kPeriodsKey16);
    const auto* units = get(kRateUnitKey16);
    if (stack && periods && units) {
        const auto s = to_int(*stack);
        const auto p = to_int(*periods);
        if (s && p && *p > 0) {
            out.capabilities.max_stack_level = *s;
            out.capabilities.max_periods = *p;
            // 1.6 says "Current" and "Power"; 2.0.1 "A" and "W".
            out.capabilities.current_allowed = comma_list_has(*units, "Current") || comma_list_has(*units, "A");
            out.capabilities.power_allowed = comma_list_has(*units, "Power") || comma_list_has(*units, "W");
            out.capabilities_read = true;
        }
    }
    return out;
}

}  // namespace

outbound::Request read_configuration_request(Version v) {
    if (v == Version::V16)
        return {"GetConfiguration", json{{"key", {kMeasurandsKey16, kStackLevelKey16, kPeriodsKey16, kRateUnitKey16}}}};
    json data = json::array();
    for (const auto& var : kVariables201)
        data.push_back({{"component", {{"name", var.component}}}, {"variable", {{"name", var.variable}}}});
    return {"GetVariables", json{{"getVariableData", std::move(data)}}};
}

StationConfiguration read_configuration_answer(Version v, const json& payload) {
    std::map<std::string, std::string> values;
    if (!payload.is_object()) return {};
    if (v == Version::V16) {
        const auto keys = payload.find("configurationKey");
        if (keys == payload.end() || !keys->is_array()) return {};
        for (const auto& k : *keys) {
            if (!k.is_object() || !k.contains("key") || !k["key"].is_string()) continue;
            if (k.contains("value") && k["value"].is_string())
                values[k["key"].get<std::string>()] = k["value"].get<std::string>();
        }
        return from_values(values);
    }
    const auto results = payload.find("getVariableResult");
    if (results == payload.end() || !results->is_array()) return {};
    // 2.0.1 names, mapped onto the 1.6 keys from_values reads.
    const std::map<std::string, const char*> as16{{"TxUpdatedMeasurands", kMeasurandsKey16},
                                                  {"ProfileStackLevel", kStackLevelKey16},
                                                  {"PeriodsPerSchedule", kPeriodsKey16},
                                                  {"RateUnit", kRateUnitKey16}};
    for (const auto& r : *results) {
        if (!r.is_object() || r.value("attributeStatus", "") != "Accepted") continue;
        if (!r.contains("variable") || !r["variable"].is_object() || !r.contains("attributeValue") ||
            !r["attributeValue"].is_string())
            continue;
        const auto it = as16.find(r["variable"].value("name", ""));
        if (it != as16.end()) values[it->second] = r["attributeValue"].get<std::string>();
    }
    return from_values(values);
}

std::string add_measurand(std::string_view current, std::string_view needed) {
    if (comma_list_has(current, needed)) return std::string(current);
    std::string out(current);
    while (!out.empty() && (out.back() == ' ' || out.back() == ',')) out.pop_back();
    if (!out.empty()) out += ',';
    out += needed;
    return out;
}

}  // namespace fuseguard::ocpp
