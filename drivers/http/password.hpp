#pragma once
// Passwords for the dashboard's login, as crypt(3) hashes (libxcrypt):
// nothing in the YAML can be replayed as the password itself.
#include <optional>
#include <string>
#include <string_view>

namespace fuseguard::http {

// Whether libxcrypt can check passwords against `hash` and counts its
// method as strong (not DES, MD5 or a cost it calls too cheap).
bool hash_usable(const std::string& hash);

// Whether `password` is the one `hash` was made from. Takes as long as the
// hash's cost (yescrypt's default: tens of milliseconds), so it is run off
// the controller's thread. Thread-safe.
bool password_matches(std::string_view password, const std::string& hash);

// A new yescrypt hash of `password`, or none if the system cannot make one.
std::optional<std::string> hash_password(std::string_view password);

}  // namespace fuseguard::http
