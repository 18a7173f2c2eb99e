#include "liveness.hpp"

namespace fuseguard::modbus {

std::optional<Transition> Liveness::on_good(Clock::time_point now) {
    last_good_ = now;
    last_error_.clear();
    if (state_ == DeviceState::Online) return std::nullopt;
    Transition t{state_, DeviceState::Online, state_ == DeviceState::Unknown ? "first good reading" : "good reading again"};
    state_ = DeviceState::Online;
    return t;
}

std::optional<Transition> Liveness::on_failure(Clock::time_point now, std::string cause) {
    last_error_ = std::move(cause);
    return on_tick(now);
}

std::optional<Transition> Liveness::on_tick(Clock::time_point now) {
    if (state_ != DeviceState::Online || now - last_good_ < offline_after_) return std::nullopt;
    const auto tenths = std::chrono::duration_cast<std::chrono::milliseconds>(offline_after_).count() / 100;
    std::string cause = "no good reading for " + std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " s";
    if (!last_error_.empty()) cause += " (last: " + last_error_ + ")";
    state_ = DeviceState::Offline;
    return Transition{DeviceState::Online, DeviceState::Offline, std::move(cause)};
}

}  // namespace fuseguard::modbus
