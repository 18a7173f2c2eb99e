#include "meter_values.hpp"

#include <cmath>
#include <cstdlib>

namespace fuseguard::ocpp::v16 {

namespace {
const std::initializer_list<std::string_view> kMeasurands{
    "Current.Export", "Current.Import", "Current.Offered", "Energy.Active.Export.Register",
    "Energy.Active.Import.Register", "Energy.Reactive.Export.Register", "Energy.Reactive.Import.Register",
    "Energy.Active.Export.Interval", "Energy.Active.Import.Interval", "Energy.Reactive.Export.Interval",
    "Energy.Reactive.Import.Interval", "Frequency", "Power.Active.Export", "Power.Active.Import", "Power.Factor",
    "Power.Offered", "Power.Reactive.Export", "Power.Reactive.Import", "RPM", "SoC", "Temperature", "Voltage"};
const std::initializer_list<std::string_view> kPhases{"L1", "L2", "L3", "N", "L1-N", "L2-N", "L3-N",
                                                          "L1-L2", "L2-L3", "L3-L1"};
const std::initializer_list<std::string_view> kUnits{"Wh", "kWh", "varh", "kvarh", "W", "kW", "VA", "kVA",
                                                         "var", "kvar", "A", "V", "K", "Celcius", "Celsius",
                                                         "Fahrenheit", "Percent"};
}  // namespace

std::variant<MeterValuesRequest, PayloadError> MeterValuesRequest::from_json(const nlohmann::json& j) {
    MeterValuesRequest r;
    PayloadReader p(j);
    p.integer("connectorId", r.connector_id, 0);
    p.integer("transactionId", r.transaction_id);
    const auto* values = p.array("meterValue", true);
    if (values) {
        for (const auto& mv : *values) {
            if (!mv.is_object()) {
                p.fail(ErrorCode::TypeConstraintViolation, "meterValue entries must be objects");
                break;
            }
            PayloadReader m(mv);
            MeterValue out;
            m.text("timestamp", out.timestamp, 64);
            if (const auto* samples = m.array("sampledValue", true)) {
                for (const auto& sv : *samples) {
                    if (!sv.is_object()) {
                        m.fail(ErrorCode::TypeConstraintViolation, "sampledValue entries must be objects");
                        break;
                    }
                    PayloadReader s(sv);
                    SampledValue v;
                    s.text("value", v.value, 64);
                    s.choice("context", v.context,
                             {"Interruption.Begin", "Interruption.End", "Sample.Clock", "Sample.Periodic",
                              "Transaction.Begin", "Transaction.End", "Trigger", "Other"});
                    s.choice("format", v.format, {"Raw", "SignedData"});
                    s.choice("measurand", v.measurand, kMeasurands);
                    s.choice("phase", v.phase, kPhases);
                    s.choice("location", v.location, {"Cable", "EV", "Inlet", "Outlet", "Body"});
                    s.choice("unit", v.unit, kUnits);
                    if (!s.ok()) {
                        m.fail(s.error()->code, "sampledValue: " + s.error()->description);
                        break;
                    }
                    out.sampled_value.push_back(std::move(v));
                }
            }
            if (!m.ok()) {
                p.fail(m.error()->code, "meterValue: " + m.error()->description);
                break;
            }
            r.meter_value.push_back(std::move(out));
        }
        if (p.ok() && r.meter_value.empty())
            p.fail(ErrorCode::OccurrenceConstraintViolation, "meterValue must hold at least one entry");
    }
    if (!p.ok()) return *p.error();
    return r;
}

std::optional<std::array<double, 3>> MeterValuesRequest::current_import() const {
    for (auto mv = meter_value.rbegin(); mv != meter_value.rend(); ++mv) {
        std::array<double, 3> a{};
        bool any = false;
        for (const auto& s : mv->sampled_value) {
            if (s.measurand.value_or("Energy.Active.Import.Register") != "Current.Import" || !s.phase) continue;
            if (s.format && *s.format == "SignedData") continue;
            int i = s.phase->rfind("L1", 0) == 0 ? 0 : s.phase->rfind("L2", 0) == 0 ? 1 : s.phase->rfind("L3", 0) == 0 ? 2 : -1;
            if (i < 0) continue;
            char* end = nullptr;
            const double v = std::strtod(s.value.c_str(), &end);
            if (s.value.empty() || *end != '\0' || !std::isfinite(v)) return std::nullopt;
            a[static_cast<std::size_t>(i)] = v;
            any = true;
        }
        if (any) return a;
    }
    return std::nullopt;
}

}  // namespace fuseguard::ocpp::v16
