#pragma once
// unknown -> online -> offline -> online, from good and bad readings (SPEC 4).
// Unknown lasts until the first good reading; online turns offline once
// `offline_after` has passed without one. Each transition carries its cause.
#include <chrono>
#include <optional>
#include <string>

#include "policy/device_state.hpp"

namespace fuseguard::modbus {

using Clock = std::chrono::steady_clock;
using policy::DeviceState;

struct Transition {
    DeviceState from = DeviceState::Unknown;
    DeviceState to = DeviceState::Unknown;
    std::string cause;
};

class Liveness {
public:
    explicit Liveness(Clock::duration offline_after) : offline_after_(offline_after) {}

    // Goes on from where `before` was (a reload replaces the bus, not the
    // device): a device online at the reload still turns offline once
    // `offline_after` has passed since its last good reading, instead of
    // waiting as unknown for a first one that may never come.
    void resume(const Liveness& before) {
        state_ = before.state_;
        last_good_ = before.last_good_;
        last_error_ = before.last_error_;
    }

    DeviceState state() const { return state_; }
    const std::string& last_error() const { return last_error_; }

    std::optional<Transition> on_good(Clock::time_point now);
    // A failed attempt: remembered as the cause, and may end the online state.
    std::optional<Transition> on_failure(Clock::time_point now, std::string cause);
    // Time passing without any attempt (a dead bus backing off).
    std::optional<Transition> on_tick(Clock::time_point now);

private:
    Clock::duration offline_after_;
    DeviceState state_ = DeviceState::Unknown;
    Clock::time_point last_good_{};
    std::string last_error_;
};

}  // namespace fuseguard::modbus
