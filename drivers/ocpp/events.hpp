#pragma once
// What the OCPP side tells the controller. Sent on the io_context thread.
#include <array>
#include <functional>
#include <optional>
#include <string>
#include <variant>

#include "rpc.hpp"

namespace fuseguard::ocpp {

struct StationConnected {
    std::string id;
    Version version = Version::V16;
};
struct StationBooted {
    std::string id;
    std::string vendor, model;
    std::optional<std::string> firmware;
};
struct ConnectorStatusChanged {
    std::string id;
    int connector = 0;
    std::string status;      // OCPP ChargePointStatus / ConnectorStatusEnumType
    std::string error_code;  // "NoError" when none
    std::optional<std::string> vendor_error_code;
    std::optional<std::string> info;
};
struct DrawMeasured {
    std::string id;
    int connector = 0;
    std::array<double, 3> current_a{};  // per station terminal L1..L3
};
struct LimitAnswered {
    std::string id;
    double limit_a = 0;
    bool accepted = false;
    std::string detail;  // "Accepted", "Rejected", "NotSupported", "timeout", a CALLERROR ...
    // No answer (timeout, connection closed) or one we cannot read: the
    // station may or may not apply the limit.
    bool unanswered = false;
};
struct TransactionChanged {
    std::string id;
    int connector = 0;
    bool started = false;  // false: stopped
    std::optional<std::string> transaction_id;
    std::optional<std::string> reason;  // stop reason, when given
    std::optional<std::string> id_tag;  // the tag it was started with, when given
};
struct SecurityEventReported {
    std::string id;
    std::string type;  // e.g. "FirmwareUpdated", "TamperDetectionActivated"
    std::optional<std::string> info;
};
// A 2.0.1 NotifyEvent problem (the 1.6 equivalent is an errorCode).
struct ProblemReported {
    std::string id;
    int evse = 0;
    std::string component, variable;
    std::string value;                  // actualValue
    std::optional<std::string> tech_code;
    std::optional<std::string> tech_info;
    bool cleared = false;               // the problem went away
};
// What GetCompositeSchedule showed of the station's failsafe (docs/ocpp.md
// "Failsafe"): whether, left alone, it steps itself down to its fallback.
enum class FailsafeVerdict { Verified, Unverified, Unsupported };
struct FailsafeChecked {
    std::string id;
    FailsafeVerdict verdict = FailsafeVerdict::Unverified;
    std::string reason;  // why not verified; empty when verified
};
// What the operator's CSMS allows a station now (fuseguard as its local
// controller): the limit its charging profiles give, none when they set none.
struct BackendLimitChanged {
    std::string id;
    std::optional<double> limit_a;
};
// The state of a station's link to the CSMS (local controller) and how many
// of its transaction messages wait for the CSMS.
struct BackendLinkChanged {
    std::string id;
    std::string state;  // "connecting", "online", "offline"
    std::string cause;  // why offline
    std::size_t queued = 0;
};
struct StationDisconnected {
    std::string id;
    std::string cause;
};

using StationEvent = std::variant<StationConnected, StationBooted, ConnectorStatusChanged, DrawMeasured, LimitAnswered,
                                  TransactionChanged, SecurityEventReported, ProblemReported, FailsafeChecked,
                                  BackendLimitChanged, BackendLinkChanged, StationDisconnected>;
using StationSink = std::function<void(StationEvent)>;

}  // namespace fuseguard::ocpp
