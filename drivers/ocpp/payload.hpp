#pragma once
// Reading an action's JSON payload into its struct: the first problem found
// becomes the CALLERROR the specification names for it (OCPP-J 1.6 4.2.3):
// a missing required field is an occurrence violation, a field of the wrong
// JSON type a type violation, a value out of its range or list a property
// violation.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "rpc.hpp"

namespace fuseguard::ocpp {

struct PayloadError {
    ErrorCode code = ErrorCode::FormationViolation;
    std::string description;
};

class PayloadReader {
public:
    explicit PayloadReader(const nlohmann::json& payload) : j_(payload) {}

    bool ok() const { return !error_; }
    const std::optional<PayloadError>& error() const { return error_; }

    // Strings with their OCPP maximum length (CiStringNType).
    void text(std::string_view key, std::string& out, std::size_t max_len);
    void text(std::string_view key, std::optional<std::string>& out, std::size_t max_len);
    void integer(std::string_view key, int& out, std::int64_t lo = INT32_MIN, std::int64_t hi = INT32_MAX);
    void integer(std::string_view key, std::optional<int>& out, std::int64_t lo = INT32_MIN,
                 std::int64_t hi = INT32_MAX);
    void number(std::string_view key, double& out);
    // One of `values`; `out` gets the text.
    void choice(std::string_view key, std::string& out, std::initializer_list<std::string_view> values);
    void choice(std::string_view key, std::optional<std::string>& out, std::initializer_list<std::string_view> values);
    // A nested object or array, checked for its JSON type only.
    const nlohmann::json* object(std::string_view key, bool required);
    const nlohmann::json* array(std::string_view key, bool required);

    void fail(ErrorCode code, std::string description);

private:
    const nlohmann::json* find(std::string_view key, bool required, bool (nlohmann::json::*is)() const noexcept,
                               const char* type);
    const nlohmann::json& j_;
    std::optional<PayloadError> error_;
};

}  // namespace fuseguard::ocpp
