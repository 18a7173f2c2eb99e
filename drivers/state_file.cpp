#include "state_file.hpp"

#include <chrono>
#include <filesystem>

#include "iso8601.hpp"

namespace fuseguard {

std::string keep_aside(const std::string& path, std::initializer_list<const char*> companions) {
    // 2026-12-06T14:05:09Z -> 20261206T140509Z: no colons in a file name.
    std::string stamp;
    for (char c : iso8601(std::chrono::system_clock::now()))
        if (c != '-' && c != ':') stamp += c;
    // Never over one kept before (two in the same second: a restart loop).
    std::string aside = path + ".broken-" + stamp;
    for (int n = 2; std::filesystem::exists(aside) && n < 100; ++n) aside = path + ".broken-" + stamp + "-" + std::to_string(n);
    std::error_code ec;
    std::filesystem::rename(path, aside, ec);
    if (ec) return {};
    for (const char* suffix : companions) {
        std::error_code ignored;
        if (std::filesystem::exists(path + suffix, ignored)) std::filesystem::rename(path + suffix, aside + suffix, ignored);
    }
    return aside;
}

}  // namespace fuseguard
