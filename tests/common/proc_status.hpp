#pragma once
// What a running process (the fuseguard under test) holds, from /proc.
#include <sys/types.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace fuseguard::test {

// Resident set size in KiB; -1 when the process is gone.
inline long rss_kib(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

// Open file descriptors; 0 when the process is gone.
inline std::size_t open_files(pid_t pid) {
    std::size_t n = 0;
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
        ++n;
    return n;
}

}  // namespace fuseguard::test
