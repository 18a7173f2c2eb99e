// SiteController, part: stations that accept a limit and do not apply it
// (the "Accepted but ignored" failures of real stations, go-eCharger API
// issue 249, evcc issue 31597). Its draw says so: more than its limit and a
// tolerance, in two reports a vehicle's response time apart, once the limit
// has been in force for that long: what counts is the highest limit it held
// within a response time (a car follows a lowering in seconds, a raise at
// once), so limits that change every few seconds do not hide it. Such a station is counted at its capacity
// and not allocated (Control::Rejected) until a report shows it within its
// limit again; offline, its fallback is not trusted either (SPEC 5).
#include <algorithm>
#include <limits>

#include "drivers/log.hpp"
#include "site_controller.hpp"

namespace fuseguard::controller {

using policy::Amps;
using policy::Control;

namespace {
// Vehicles draw a little above the pilot signal, and station meters are not
// exact: 2 A and 5 % of the limit before a draw counts as ignoring it.
double ignore_tolerance(double limit_a) { return 2.0 + 0.05 * limit_a; }

// Limits that ended a vehicle's response time ago or more no longer bound its draw.
void forget_old_limits(decltype(StationRuntime::limits_ended)& ended, std::chrono::steady_clock::time_point now) {
    const auto old = std::find_if(ended.begin(), ended.end(), [&](const auto& e) { return now - e.first < kVehicleResponse; });
    ended.erase(ended.begin(), old);
}
}  // namespace

void SiteController::limit_replaced(std::size_t i, std::optional<double> ended, std::chrono::steady_clock::time_point now) {
    auto& recent = stations_[i].limits_ended;
    forget_old_limits(recent, now);
    recent.emplace_back(now, ended.value_or(std::numeric_limits<double>::infinity()));
}

void SiteController::check_limit_obeyed(std::size_t i, std::chrono::steady_clock::time_point now) {
    auto& s = model_.state.stations[i];
    auto& rt = stations_[i];
    if (!(s.control == Control::Managed || rt.limit_ignored)) return;
    // Its reports as they are, not capped at any limit: the point is what
    // it draws.
    const auto draw = reported_total(i);
    if (!draw) return;
    const Amps peak = std::max({(*draw)[0], (*draw)[1], (*draw)[2]});
    // Once found ignoring its limits, only its draw within the limit it
    // holds now says it obeys again.
    forget_old_limits(rt.limits_ended, now);
    double limit = s.limit_in_force.amps();
    if (!rt.limit_ignored)
        for (const auto& [ended_at, was] : rt.limits_ended) limit = std::max(limit, was);
    if (peak.amps() <= limit + ignore_tolerance(limit)) {
        rt.over_since.reset();
        if (!rt.limit_ignored) return;
        log::info("ocpp: " + s.id + " draws within its limit again: managed");
        rt.limit_ignored = false;
        if (held_limits_) held_limits_->set_ignores_limits(s.id, false);
        rt.rejected.clear();
        s.control = Control::Unmanaged;  // the next plan sends it its limit again
        s.fallback_trusted = fallback_trusted(rt);
        ++rt.revision;
        return;
    }
    if (rt.limit_ignored) return;
    if (!rt.over_since) {
        rt.over_since = now;
        return;
    }
    if (now - *rt.over_since < kVehicleResponse) return;
    const std::string detail = "it draws " + policy::format(peak) + " with no limit above " +
                               policy::format(Amps::round_up(limit)) + " in force for " +
                               std::to_string(std::chrono::duration_cast<std::chrono::seconds>(kVehicleResponse).count()) + " s";
    log::warning("ocpp: " + s.id + " ignores its limit (" + detail + "): counted at its capacity");
    rt.limit_ignored = true;
    rt.rejected = detail;
    s.control = Control::Rejected;
    s.fallback_trusted = fallback_trusted(rt);
    if (held_limits_) {
        held_limits_->set_verified(s.id, false);
        held_limits_->set_ignores_limits(s.id, true);
    }
    ++rt.revision;
}

}  // namespace fuseguard::controller
