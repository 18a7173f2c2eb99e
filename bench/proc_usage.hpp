#pragma once
// CPU seconds and resident MiB of another process, from /proc: what the
// benchmarks report for the process under test.
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <utility>

namespace fuseguard::bench {

inline std::pair<double, double> usage(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(stat, line);
    std::istringstream in(line.substr(line.rfind(')') + 2));
    std::string f;
    double utime = 0, stime = 0;
    for (int i = 3; i <= 15; ++i) {
        in >> f;
        if (i == 14) utime = std::stod(f);
        if (i == 15) stime = std::stod(f);
    }
    double rss_kb = 0;
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    while (std::getline(status, line))
        if (line.rfind("VmRSS:", 0) == 0) rss_kb = std::stod(line.substr(6));
    return {(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK)), rss_kb / 1024.0};
}

}  // namespace fuseguard::bench
