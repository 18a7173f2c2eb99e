#include "payload.hpp"

#include <algorithm>

namespace fuseguard::ocpp {

void PayloadReader::fail(ErrorCode code, std::string description) {
    if (!error_) error_ = PayloadError{code, std::move(description)};
}

const nlohmann::json* PayloadReader::find(std::string_view key, bool required,
                                          bool (nlohmann::json::*is)() const noexcept, const char* type) {
    if (error_) return nullptr;
    const auto it = j_.find(key);
    if (it == j_.end()) {
        if (required) fail(ErrorCode::OccurrenceConstraintViolation, std::string(key) + " is required");
        return nullptr;
    }
    if (!((*it).*is)()) {
        fail(ErrorCode::TypeConstraintViolation, std::string(key) + " must be " + type);
        return nullptr;
    }
    return &*it;
}

void PayloadReader::text(std::string_view key, std::string& out, std::size_t max_len) {
    std::optional<std::string> v;
    if (!find(key, true, &nlohmann::json::is_string, "a string")) return;
    text(key, v, max_len);
    if (v) out = *v;
}

void PayloadReader::text(std::string_view key, std::optional<std::string>& out, std::size_t max_len) {
    const auto* v = find(key, false, &nlohmann::json::is_string, "a string");
    if (!v) return;
    const auto& s = v->get_ref<const std::string&>();
    if (s.size() > max_len)
        return fail(ErrorCode::PropertyConstraintViolation,
                    std::string(key) + " is longer than " + std::to_string(max_len) + " characters");
    out = s;
}

void PayloadReader::integer(std::string_view key, int& out, std::int64_t lo, std::int64_t hi) {
    std::optional<int> v;
    if (!find(key, true, &nlohmann::json::is_number_integer, "an integer")) return;
    integer(key, v, lo, hi);
    if (v) out = *v;
}

void PayloadReader::integer(std::string_view key, std::optional<int>& out, std::int64_t lo, std::int64_t hi) {
    const auto* v = find(key, false, &nlohmann::json::is_number_integer, "an integer");
    if (!v) return;
    const auto x = v->is_number_unsigned() && v->get<std::uint64_t>() > INT64_MAX ? INT64_MAX : v->get<std::int64_t>();
    if (x < lo || x > hi)
        return fail(ErrorCode::PropertyConstraintViolation,
                    std::string(key) + " must be from " + std::to_string(lo) + " to " + std::to_string(hi));
    out = static_cast<int>(x);
}

void PayloadReader::number(std::string_view key, double& out) {
    if (const auto* v = find(key, true, &nlohmann::json::is_number, "a number")) out = v->get<double>();
}

void PayloadReader::choice(std::string_view key, std::string& out, std::initializer_list<std::string_view> values) {
    std::optional<std::string> v;
    if (!find(key, true, &nlohmann::json::is_string, "a string")) return;
    choice(key, v, values);
    if (v) out = *v;
}

void PayloadReader::choice(std::string_view key, std::optional<std::string>& out,
                           std::initializer_list<std::string_view> values) {
    const auto* v = find(key, false, &nlohmann::json::is_string, "a string");
    if (!v) return;
    const auto& s = v->get_ref<const std::string&>();
    if (std::find(values.begin(), values.end(), s) == values.end())
        return fail(ErrorCode::PropertyConstraintViolation, std::string(key) + " '" + s + "' is not an allowed value");
    out = s;
}

const nlohmann::json* PayloadReader::object(std::string_view key, bool required) {
    return find(key, required, &nlohmann::json::is_object, "an object");
}

const nlohmann::json* PayloadReader::array(std::string_view key, bool required) {
    return find(key, required, &nlohmann::json::is_array, "an array");
}

}  // namespace fuseguard::ocpp
