#pragma once
// systemd's notify protocol (Type=notify): READY, RELOADING, STOPPING and the
// watchdog. Every call is a no-op when not started by systemd.
#include <chrono>
#include <optional>
#include <string>

namespace fuseguard::controller::systemd {

void ready(const std::string& status);
void reloading();
void stopping();
void status(const std::string& text);
// Tells systemd the control loop is alive; call it from the loop itself.
void watchdog();
// The watchdog interval systemd expects, if the unit sets WatchdogSec.
std::optional<std::chrono::microseconds> watchdog_interval();

}  // namespace fuseguard::controller::systemd
