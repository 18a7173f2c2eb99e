#pragma once
// Every station holds a socket, and a second one to the CSMS when fuseguard
// is a local controller; connections still before their upgrade hold up to
// PendingUpgrades::kMost more. The usual soft limit of 1,024 open files is
// too few past a thousand stations: accept() fails and stations stay out.
// Raised here up to the hard limit, which fuseguard may do unprivileged;
// the systemd unit sets LimitNOFILE itself, since its system call filter
// forbids setrlimit.
#include <sys/resource.h>

#include <algorithm>
#include <cstddef>
#include <string>

#include "drivers/log.hpp"
#include "drivers/ocpp/pending_upgrades.hpp"

namespace fuseguard::controller {

inline std::size_t open_files_needed(std::size_t stations, bool backend) {
    constexpr std::size_t kOthers = 64;  // meters, the broker, SQLite, the event loop
    return stations * (backend ? 2 : 1) + ocpp::PendingUpgrades::kMost + kOthers;
}

inline void ensure_open_files(std::size_t needed) {
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur >= needed) return;
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max == RLIM_INFINITY ? needed : std::min<rlim_t>(lim.rlim_max, needed);
    if (raised.rlim_cur > lim.rlim_cur && ::setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
    if (lim.rlim_cur < needed)
        log::warning("this site needs about " + std::to_string(needed) + " open files and fuseguard may only have " +
                     std::to_string(lim.rlim_cur) + ": raise LimitNOFILE (docs/installation.md)");
}

}  // namespace fuseguard::controller
