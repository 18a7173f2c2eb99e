#pragma once
// Where the controller reads the time. The service uses the real clocks;
// bench_efficiency runs the controller on a simulated site in simulated
// time (an hour in seconds), so every time it reads must come from here.
#include <chrono>
#include <functional>

namespace fuseguard::controller {

using WallClock = std::chrono::system_clock;

struct Clocks {
    std::function<std::chrono::steady_clock::time_point()> steady = [] { return std::chrono::steady_clock::now(); };
    std::function<WallClock::time_point()> wall = [] { return WallClock::now(); };
};

}  // namespace fuseguard::controller
