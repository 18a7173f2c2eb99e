#pragma once
// OCPP 1.6 MeterValues (station -> us). fuseguard needs Current.Import per
// phase: what the station actually draws (SPEC 3, 4).
#include <array>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "drivers/ocpp/payload.hpp"

namespace fuseguard::ocpp::v16 {

struct SampledValue {
    std::string value;  // a decimal number as text
    std::optional<std::string> context, format, measurand, phase, location, unit;
};

struct MeterValue {
    std::string timestamp;
    std::vector<SampledValue> sampled_value;
};

struct MeterValuesRequest {
    int connector_id = 0;
    std::optional<int> transaction_id;
    std::vector<MeterValue> meter_value;

    static std::variant<MeterValuesRequest, PayloadError> from_json(const nlohmann::json& j);

    // Current.Import per station terminal L1..L3 in amperes from the latest
    // meter value that has it; nothing if none (or a value is not a number).
    std::optional<std::array<double, 3>> current_import() const;
};

}  // namespace fuseguard::ocpp::v16
