#pragma once
// OCPP-J framing (OCPP 1.6 JSON section 4, OCPP 2.0.1 part 4): a frame is a
// CALL, CALLRESULT or CALLERROR keyed by its message id; the payload is
// separate and belongs to the action's own request/response structs.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace fuseguard::ocpp {

enum class Version { V16, V201 };
std::string_view subprotocol(Version v);  // "ocpp1.6", "ocpp2.0.1"

// Frames larger than this are refused before parsing (SPEC 5).
inline constexpr std::size_t kMaxFrameBytes = 64 * 1024;

enum class ErrorCode {
    NotImplemented,
    NotSupported,
    InternalError,
    ProtocolError,
    SecurityError,
    FormationViolation,  // "FormatViolation" in 2.0.1
    PropertyConstraintViolation,
    OccurrenceConstraintViolation,
    TypeConstraintViolation,
    GenericError,
    MessageTypeNotSupported,  // 2.0.1 only; ProtocolError in 1.6
    RpcFrameworkError,        // 2.0.1 only; FormationViolation in 1.6
};
// The code's name in `v`, mapping 2.0.1-only codes onto their 1.6 equivalent.
std::string_view name(ErrorCode code, Version v);
std::optional<ErrorCode> parse_error_code(std::string_view text);

struct Call {
    std::string id;
    std::string action;
    nlohmann::json payload;
};

struct CallResult {
    std::string id;
    nlohmann::json payload;
};

struct CallError {
    std::string id;
    ErrorCode code = ErrorCode::GenericError;
    std::string description;
    nlohmann::json details = nlohmann::json::object();
};

using Frame = std::variant<Call, CallResult, CallError>;

// A frame we could not accept, and what to answer. `id` is the message id
// when it could be read, "-1" otherwise (what OCPP 2.0.1 prescribes).
struct FrameFailure {
    std::string id = "-1";
    ErrorCode code = ErrorCode::FormationViolation;
    std::string description;
    bool answer = true;  // false for broken CALLRESULT/CALLERROR: never answer those
};

std::variant<Frame, FrameFailure> parse_frame(std::string_view text, Version v);

// A CALLRESULT's message id, read without building its payload: the text is
// still checked to be JSON throughout. nullopt for anything else (a CALL, a
// CALLERROR, a frame parse_frame would refuse), which then takes the full
// path. The relay reads most of the CSMS's answers this way (SPEC 10).
std::optional<std::string> call_result_id(std::string_view text);
std::string serialize(const Frame& frame, Version v);

}  // namespace fuseguard::ocpp
