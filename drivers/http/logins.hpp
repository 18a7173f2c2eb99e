#pragma once
// Who is logged in to the dashboard (SPEC 9): one user from the YAML, a
// random session token in an HttpOnly, SameSite=Strict cookie, and a
// throttle on guessing. Lives on the controller's thread; the times it
// needs come in as values.
#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"

namespace fuseguard::http {

class Logins {
public:
    using Clock = std::chrono::steady_clock;
    static constexpr const char* kCookie = "fuseguard_session";
    static constexpr std::chrono::hours kLifetime{8};   // a shift; then log in again
    static constexpr std::size_t kSessions = 16;        // the oldest goes past this
    static constexpr std::chrono::seconds kAfterFailure{1};  // one guess a second at most

    explicit Logins(config::HttpLogin login) : login_(std::move(login)) {}

    const std::string& user() const { return login_.user; }
    const std::string& password_hash() const { return login_.password_hash; }

    // The logged-in user a Cookie header names, if its session is current.
    std::optional<std::string> user_of(std::string_view cookie_header, Clock::time_point now);

    // Guessing: at most one password checked at a time, and none for a
    // second after a wrong one. How long to wait, or none to go ahead.
    std::optional<std::chrono::seconds> wait_before_try(Clock::time_point now) const;
    void trying() { checking_ = true; }
    void failed(Clock::time_point now);

    // A new session for the user: the token to set as the cookie.
    std::string open(Clock::time_point now);
    void close(std::string_view cookie_header);

    // The Set-Cookie value for a session token (empty: clears the cookie).
    static std::string cookie(const std::string& token);

private:
    static std::string token_in(std::string_view cookie_header);

    config::HttpLogin login_;
    std::map<std::string, Clock::time_point, std::less<>> sessions_;  // token -> when opened
    bool checking_ = false;
    Clock::time_point next_try_{};
};

}  // namespace fuseguard::http
