// SiteController, part: stations it has lost, and what they still hold
// from its profiles until those step them down (SPEC 1, docs/ocpp.md
// "Failsafe"), across restarts too.
#include "site_controller.hpp"

#include "drivers/log.hpp"

namespace fuseguard::controller {

using config::seconds;
using policy::Amps;
using policy::Control;

std::chrono::steady_clock::time_point SiteController::step_down_due(std::chrono::steady_clock::time_point lost) const {
    return lost + seconds(cfg_->ocpp.failsafe_after_s) + seconds(cfg_->ocpp.profile_eval_delay_s) + kVehicleResponse;
}

// The previous run renewed their profiles until it stopped, which was no
// later than now: each steps down by itself within the same window as a
// station lost now. Counted at what the previous run recorded until then.
void SiteController::restore_held_limits() {
    if (!held_limits_) return;
    for (std::size_t i = 0; i < model_.state.stations.size(); ++i) {
        auto& s = model_.state.stations[i];
        const auto held = held_limits_->held(s.id);
        // Verified in the previous run: it holds the same layers now.
        if (held_limits_->verified(s.id)) stations_[i].failsafe = ocpp::FailsafeVerdict::Verified;
        // It ignored its limits and had not shown it obeys again: a restart
        // changes nothing at the station.
        if (held_limits_->ignores_limits(s.id)) {
            stations_[i].limit_ignored = true;
            stations_[i].rejected = "it drew above its limits before fuseguard restarted";
        }
        s.fallback_trusted = fallback_trusted(stations_[i]);
        if (!held || !s.fallback) continue;
        s.limit_in_force = policy::min(Amps::round_up(*held), s.max_current);
        s.limit_known = true;
        s.holds_last_limit = true;
        stations_[i].steps_down_by = step_down_due(started_);
    }
}

// Once a minute, what the file says comes down to what the stations are
// known to hold (raises were written before they went out).
void SiteController::settle_held_limits(std::chrono::steady_clock::time_point now) {
    if (!held_limits_ || now - settled_at_ < std::chrono::minutes(1)) return;
    settled_at_ = now;
    std::map<std::string, double> holding;
    for (std::size_t i = 0; i < model_.state.stations.size(); ++i) {
        const auto& s = model_.state.stations[i];
        if (!stations_[i].in_flight.empty()) continue;
        if (is_online(s.state) && s.control == Control::Managed) holding[s.id] = s.limit_in_force.amps();
        else if (!is_online(s.state) && !s.holds_last_limit && s.fallback) holding[s.id] = s.fallback->amps();
    }
    held_limits_->settle(holding);
}

std::string_view failsafe_state(const policy::StationInput& s, const StationRuntime& rt) {
    if (!s.fallback || rt.failsafe == ocpp::FailsafeVerdict::Unsupported) return "unsupported";
    if (!rt.failsafe) return "pending";
    return *rt.failsafe == ocpp::FailsafeVerdict::Verified ? "verified" : "unverified";
}

bool SiteController::fallback_trusted(const StationRuntime& rt) const {
    // A station that ignores its limit may well ignore its fallback too.
    if (rt.limit_ignored) return false;
    return cfg_->policy.trust_unverified_fallback || rt.failsafe == ocpp::FailsafeVerdict::Verified;
}

void SiteController::failsafe_checked(std::size_t i, const ocpp::FailsafeChecked& e) {
    auto& s = model_.state.stations[i];
    auto& rt = stations_[i];
    const bool changed = rt.failsafe != e.verdict || rt.failsafe_reason != e.reason;
    // On disk before it is said: what the log says survives a crash.
    if (held_limits_) held_limits_->set_verified(s.id, e.verdict == ocpp::FailsafeVerdict::Verified && !rt.limit_ignored);
    if (changed && e.verdict == ocpp::FailsafeVerdict::Unverified)
        log::warning("ocpp: " + s.id + ": failsafe not verified: " + e.reason);
    else if (changed && e.verdict == ocpp::FailsafeVerdict::Verified)
        log::info("ocpp: " + s.id + ": failsafe verified");
    rt.failsafe = e.verdict;
    rt.failsafe_reason = e.reason;
    s.fallback_trusted = fallback_trusted(rt);
    if (!changed) return;
    ++rt.revision;
    request_replan();
}

}  // namespace fuseguard::controller
