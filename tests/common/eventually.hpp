#pragma once
// Waiting on a condition with a deadline, never on a bare sleep.
#include <chrono>
#include <functional>
#include <thread>

namespace fuseguard::test {

// Whether `holds` becomes true within `deadline`, looking every 20 ms.
inline bool eventually(const std::function<bool()>& holds,
                       std::chrono::milliseconds deadline = std::chrono::seconds(5)) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (!holds()) {
        if (std::chrono::steady_clock::now() >= until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

}  // namespace fuseguard::test
