#include "password.hpp"

#include <crypt.h>
#include <openssl/crypto.h>

#include <memory>

namespace fuseguard::http {

bool hash_usable(const std::string& hash) { return crypt_checksalt(hash.c_str()) == CRYPT_SALT_OK; }

bool password_matches(std::string_view password, const std::string& hash) {
    if (!hash_usable(hash)) return false;
    auto data = std::make_unique<crypt_data>();  // about 32 KB: not on the stack
    const std::string clear(password);
    const char* out = crypt_rn(clear.c_str(), hash.c_str(), data.get(), sizeof(crypt_data));
    if (!out || out[0] == '*') return false;
    const std::string_view made(out);
    // In constant time: how much of the hash matched says nothing.
    return made.size() == hash.size() && CRYPTO_memcmp(made.data(), hash.data(), hash.size()) == 0;
}

std::optional<std::string> hash_password(std::string_view password) {
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    // Prefix "$y$" with the default cost and random bytes from the system.
    if (!crypt_gensalt_rn("$y$", 0, nullptr, 0, setting, sizeof setting)) return std::nullopt;
    auto data = std::make_unique<crypt_data>();
    const std::string clear(password);
    const char* out = crypt_rn(clear.c_str(), setting, data.get(), sizeof(crypt_data));
    if (!out || out[0] == '*') return std::nullopt;
    return std::string(out);
}

}  // namespace fuseguard::http
