// SiteController, part: stations that accept a limit and do not apply it
// (the "Accepted but ignored" failures of real stations, go-eCharger API
// issue 249, evcc issue 31597). Its draw says so: more than its limit and a
// tolerance, in two reports a vehicle's response time apart, once the limit
// has been in force for that long. Such a station is counted at its capacity
// and not allocated (Control::Rejected) until a report shows it within its
// limit again; offline, its fallback is not trusted either (SPEC 5).
#include <algorithm>

#include "drivers/log.hpp"
#include "site_controller.hpp"

namespace fuseguard::controller {

using policy::Amps;
using policy::Control;

namespace {
// Vehicles draw a little above the pilot signal, and station meters are not
// exact: 2 A and 5 % of the limit before a draw counts as ignoring it.
double ignore_tolerance(double limit_a) { return 2.0 + 0.05 * limit_a; }
}  // namespace

void SiteController::check_limit_obeyed(std::size_t i, std::chrono::steady_clock::time_point now) {
    auto& s = model_.state.stations[i];
    auto& rt = stations_[i];
    if (!(s.control == Control::Managed || rt.limit_ignored)) return;
    // Its reports as they are, not capped at any limit: the point is what
    // it draws.
    const auto draw = reported_total(i);
    if (!draw) return;
    const Amps peak = std::max({(*draw)[0], (*draw)[1], (*draw)[2]});
    const double limit = s.limit_in_force.amps();
    if (peak.amps() <= limit + ignore_tolerance(limit)) {
        rt.over_since.reset();
        if (!rt.limit_ignored) return;
        log::info("ocpp: " + s.id + " draws within its limit again: managed");
        rt.limit_ignored = false;
        rt.rejected.clear();
        s.control = Control::Unmanaged;  // the next plan sends it its limit again
        s.fallback_trusted = fallback_trusted(rt);
        ++rt.revision;
        return;
    }
    if (rt.limit_ignored || now - rt.limit_accepted_at < kVehicleResponse) return;
    if (!rt.over_since) {
        rt.over_since = now;
        return;
    }
    if (now - *rt.over_since < kVehicleResponse) return;
    const std::string detail =
        "it draws " + policy::format(peak) + " with a limit of " + policy::format(s.limit_in_force) + " in force";
    log::warning("ocpp: " + s.id + " ignores its limit (" + detail + "): counted at its capacity");
    rt.limit_ignored = true;
    rt.rejected = detail;
    s.control = Control::Rejected;
    s.fallback_trusted = fallback_trusted(rt);
    if (held_limits_) held_limits_->set_verified(s.id, false);
    ++rt.revision;
}

}  // namespace fuseguard::controller
