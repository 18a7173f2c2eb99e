#include "rpc.hpp"

#include <array>
#include <utility>

namespace fuseguard::ocpp {

using nlohmann::json;

std::string_view subprotocol(Version v) { return v == Version::V16 ? "ocpp1.6" : "ocpp2.0.1"; }

namespace {
constexpr std::array<std::pair<ErrorCode, std::string_view>, 12> kNames{{
    {ErrorCode::NotImplemented, "NotImplemented"},
    {ErrorCode::NotSupported, "NotSupported"},
    {ErrorCode::InternalError, "InternalError"},
    {ErrorCode::ProtocolError, "ProtocolError"},
    {ErrorCode::SecurityError, "SecurityError"},
    {ErrorCode::FormationViolation, "FormationViolation"},
    {ErrorCode::PropertyConstraintViolation, "PropertyConstraintViolation"},
    {ErrorCode::OccurrenceConstraintViolation, "OccurenceConstraintViolation"},  // sic: 1.6 spells it so
    {ErrorCode::TypeConstraintViolation, "TypeConstraintViolation"},
    {ErrorCode::GenericError, "GenericError"},
    {ErrorCode::MessageTypeNotSupported, "MessageTypeNotSupported"},
    {ErrorCode::RpcFrameworkError, "RpcFrameworkError"},
}};
}  // namespace

std::string_view name(ErrorCode code, Version v) {
    if (v == Version::V201) {
        if (code == ErrorCode::FormationViolation) return "FormatViolation";
        if (code == ErrorCode::OccurrenceConstraintViolation) return "OccurrenceConstraintViolation";
    } else {
        if (code == ErrorCode::MessageTypeNotSupported) return "ProtocolError";
        if (code == ErrorCode::RpcFrameworkError) return "FormationViolation";
    }
    for (const auto& [c, n] : kNames)
        if (c == code) return n;
    return "GenericError";
}

std::optional<ErrorCode> parse_error_code(std::string_view text) {
    if (text == "FormatViolation") return ErrorCode::FormationViolation;
    if (text == "OccurrenceConstraintViolation") return ErrorCode::OccurrenceConstraintViolation;
    for (const auto& [c, n] : kNames)
        if (n == text) return c;
    return std::nullopt;
}

std::variant<Frame, FrameFailure> parse_frame(std::string_view text, Version v) {
    const ErrorCode framing = v == Version::V201 ? ErrorCode::RpcFrameworkError : ErrorCode::FormationViolation;
    if (text.size() > kMaxFrameBytes)
        return FrameFailure{"-1", framing, "frame of " + std::to_string(text.size()) + " bytes exceeds 65536"};
    json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return FrameFailure{"-1", framing, "not valid JSON"};
    if (!j.is_array() || j.size() < 3 || !j[0].is_number_integer())
        return FrameFailure{"-1", framing, "expected [messageTypeId, messageId, ...]"};
    const auto type = j[0].get<std::int64_t>();
    if (!j[1].is_string()) return FrameFailure{"-1", framing, "messageId must be a string"};
    std::string id = j[1].get<std::string>();
    if (id.empty() || id.size() > 36) return FrameFailure{"-1", framing, "messageId must be 1 to 36 characters"};
    switch (type) {
    case 2: {
        if (j.size() != 4 || !j[2].is_string())
            return FrameFailure{id, framing, "CALL must be [2, messageId, action, payload]"};
        if (!j[3].is_object())
            return FrameFailure{id, ErrorCode::FormationViolation, "CALL payload must be a JSON object"};
        return Frame{Call{std::move(id), j[2].get<std::string>(), std::move(j[3])}};
    }
    case 3:
        if (j.size() != 3 || !j[2].is_object())
            return FrameFailure{id, framing, "CALLRESULT must be [3, messageId, payload]", false};
        return Frame{CallResult{std::move(id), std::move(j[2])}};
    case 4: {
        if (j.size() < 4 || j.size() > 5 || !j[2].is_string() || !j[3].is_string() ||
            (j.size() == 5 && !j[4].is_object()))
            return FrameFailure{id, framing, "CALLERROR must be [4, messageId, errorCode, description, details]",
                                false};
        CallError e{std::move(id), parse_error_code(j[2].get<std::string>()).value_or(ErrorCode::GenericError),
                    j[3].get<std::string>(), j.size() == 5 ? std::move(j[4]) : json::object()};
        return Frame{std::move(e)};
    }
    default:
        return FrameFailure{id, v == Version::V201 ? ErrorCode::MessageTypeNotSupported : ErrorCode::ProtocolError,
                            "unknown messageTypeId " + std::to_string(type)};
    }
}

std::string serialize(const Frame& frame, Version v) {
    return std::visit(
        [v](const auto& f) -> std::string {
            using T = std::decay_t<decltype(f)>;
            if constexpr (std::is_same_v<T, Call>) {
                return json::array({2, f.id, f.action, f.payload}).dump();
            } else if constexpr (std::is_same_v<T, CallResult>) {
                return json::array({3, f.id, f.payload}).dump();
            } else {
                // errorDetails must be an object, even when none was given.
                const json details = f.details.is_object() ? f.details : json::object();
                return json::array({4, f.id, std::string(name(f.code, v)), f.description, details}).dump();
            }
        },
        frame);
}

}  // namespace fuseguard::ocpp
