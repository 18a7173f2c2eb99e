#pragma once
// GetCompositeSchedule (us -> station, 1.6 and 2.0.1): what a station says it
// will allow on a connector (EVSE) over the coming seconds, all its profiles
// combined. fuseguard asks for it to verify the failsafe (docs/ocpp.md
// "Failsafe"): that the station really holds the limit and the step down to
// its fallback, whatever fuseguard believes it sent.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "charging_profile.hpp"
#include "payload.hpp"
#include "rpc.hpp"

namespace fuseguard::ocpp {

struct CompositeSchedule {
    std::optional<std::string> schedule_start;  // by the station's clock
    std::optional<int> duration_s;
    std::string rate_unit = "A";
    std::vector<SchedulePeriod> periods;
};

struct GetCompositeScheduleRequest {
    int connector = 1;  // the EVSE in 2.0.1
    int duration_s = 0;
    nlohmann::json to_json(Version v) const;
    static std::variant<GetCompositeScheduleRequest, PayloadError> from_json(const nlohmann::json& j, Version v);
};

struct GetCompositeScheduleResponse {
    std::string status;  // Accepted | Rejected
    std::optional<CompositeSchedule> schedule;
    nlohmann::json to_json(Version v, int connector) const;
    static std::variant<GetCompositeScheduleResponse, PayloadError> from_json(const nlohmann::json& j, Version v);
};

// What the composite must show for the failsafe to hold on that connector:
// no more than `limit_a` until `step_after_s` (seconds from the request),
// then no more than `fallback_a` to the end of the window.
struct CompositeExpectation {
    double limit_a = 0;
    double fallback_a = 0;
    int step_after_s = 0;
    int window_s = 0;
};

// Slack for the step: the station counts its transaction from its own start,
// which fuseguard learns a moment later.
inline constexpr int kStepSlackS = 5;

// Why `c` does not show what `e` asks, for the installer to read; nothing
// when it does. Less than asked is fine: it is the safe side.
std::optional<std::string> composite_disagreement(const CompositeSchedule& c, const CompositeExpectation& e);

}  // namespace fuseguard::ocpp
