#include "systemd_notify.hpp"

#include <systemd/sd-daemon.h>

namespace fuseguard::controller::systemd {

void ready(const std::string& s) { sd_notify(0, ("READY=1\nSTATUS=" + s).c_str()); }
void reloading() { sd_notify(0, "RELOADING=1"); }
void stopping() { sd_notify(0, "STOPPING=1"); }
void status(const std::string& text) { sd_notify(0, ("STATUS=" + text).c_str()); }
void watchdog() { sd_notify(0, "WATCHDOG=1"); }

std::optional<std::chrono::microseconds> watchdog_interval() {
    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0) return std::nullopt;
    return std::chrono::microseconds(usec);
}

}  // namespace fuseguard::controller::systemd
