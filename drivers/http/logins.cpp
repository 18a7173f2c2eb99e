#include "logins.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>

namespace fuseguard::http {

std::string Logins::token_in(std::string_view header) {
    // "a=1; fuseguard_session=...; b=2"
    while (!header.empty()) {
        const auto end = header.find(';');
        auto pair = header.substr(0, end);
        while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
        const auto eq = pair.find('=');
        if (eq != std::string_view::npos && pair.substr(0, eq) == kCookie) return std::string(pair.substr(eq + 1));
        if (end == std::string_view::npos) break;
        header.remove_prefix(end + 1);
    }
    return {};
}

std::optional<std::string> Logins::user_of(std::string_view cookie_header, Clock::time_point now) {
    const auto token = token_in(cookie_header);
    if (token.empty()) return std::nullopt;
    const auto it = sessions_.find(token);
    if (it == sessions_.end()) return std::nullopt;
    if (now - it->second >= kLifetime) {
        sessions_.erase(it);
        return std::nullopt;
    }
    return login_.user;
}

std::optional<std::chrono::seconds> Logins::wait_before_try(Clock::time_point now) const {
    if (checking_) return std::chrono::seconds(1);
    if (now < next_try_) return std::chrono::ceil<std::chrono::seconds>(next_try_ - now);
    return std::nullopt;
}

void Logins::failed(Clock::time_point now) {
    checking_ = false;
    next_try_ = now + kAfterFailure;
}

std::string Logins::open(Clock::time_point now) {
    checking_ = false;
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("no random bytes for a session token");
    std::string token(2 * sizeof bytes + 1, '\0');  // hex, and OpenSSL's NUL
    std::size_t length = 0;
    if (OPENSSL_buf2hexstr_ex(token.data(), token.size(), &length, bytes, sizeof bytes, '\0') != 1)
        throw std::runtime_error("cannot write a session token");
    token.resize(length - 1);
    if (sessions_.size() >= kSessions) {
        const auto oldest = std::min_element(sessions_.begin(), sessions_.end(),
                                             [](const auto& a, const auto& b) { return a.second < b.second; });
        sessions_.erase(oldest);
    }
    sessions_.emplace(token, now);
    return token;
}

void Logins::close(std::string_view cookie_header) {
    const auto token = token_in(cookie_header);
    if (const auto it = sessions_.find(token); it != sessions_.end()) sessions_.erase(it);
}

std::string Logins::cookie(const std::string& token) {
    const auto age = token.empty() ? 0 : std::chrono::duration_cast<std::chrono::seconds>(kLifetime).count();
    return std::string(kCookie) + "=" + token + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(age);
}

}  // namespace fuseguard::http
