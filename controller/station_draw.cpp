// SiteController, part: what each station draws, from its reports and the
// meter readings they are taken off (SPEC 4, a `total` meter).
#include "site_controller.hpp"

#include <algorithm>

namespace fuseguard::controller {

using policy::Amps;

namespace {
// A meter reading completed this soon after a station's report may still
// hold the draw from before it: meters average over about a second and a
// poll in flight was sampled earlier.
constexpr auto kMeterLag = std::chrono::seconds(1);
}  // namespace

// A station's report stands for its draw until it reports again, but not
// past a lowering: a `total` meter read after it no longer holds the old
// draw, and taking the old draw off it would make the non-EV load look
// smaller than it is. Capped when a meter is read, not when the station
// answers, so that a reading and what is taken off it belong together;
// capping at the answer would count the lowered current twice until the
// next reading and lower everyone else to make room for it.
void SiteController::on_meter_read(std::chrono::steady_clock::time_point at) {
    for (std::size_t i = 0; i < stations_.size(); ++i) {
        const auto& s = model_.state.stations[i];
        auto& rt = stations_[i];
        if (!s.measured && !rt.rise_reported_at) continue;
        const Amps cap = rt.report_cap ? policy::min(*rt.report_cap, s.counted_now()) : s.counted_now();
        const bool rise_holds = rt.rise_reported_at && at - *rt.rise_reported_at >= kMeterLag;
        // Most readings change neither: `measured` is already worked out from
        // the same reports, cap and wait.
        if (rt.report_cap == cap && !rise_holds) continue;
        rt.report_cap = cap;
        if (rise_holds) rt.rise_reported_at.reset();
        refresh_measured(i);
    }
}

// Connector (1.6) or EVSE (2.0.1) 0 is the station as a whole: its report
// and the sum of the others measure the same draw, and adding them would
// take it off a total meter twice. With both, the smaller counts.
std::optional<std::array<Amps, 3>> SiteController::reported_total(std::size_t i) const {
    const auto& rt = stations_[i];
    std::optional<std::array<Amps, 3>> whole, sum;
    for (const auto& [n, con] : rt.connectors) {
        if (!con.current_a) continue;
        auto& into = n == 0 ? whole : sum;
        if (!into) into.emplace();
        for (std::size_t p = 0; p < 3; ++p) (*into)[p] += Amps::round_up(std::max(0.0, (*con.current_a)[p]));
    }
    if (whole && sum)
        for (std::size_t p = 0; p < 3; ++p) (*sum)[p] = policy::min((*sum)[p], (*whole)[p]);
    else if (whole)
        sum = whole;
    return sum;
}

std::optional<std::array<Amps, 3>> SiteController::reported_draw(std::size_t i) const {
    auto draw = reported_total(i);
    if (draw && stations_[i].report_cap)
        for (auto& v : *draw) v = policy::min(v, *stations_[i].report_cap);
    return draw;
}

// What the policy takes as the station's draw. A report of more than is
// taken off a total meter now counts only from a meter reading that holds
// it: taken off a reading from before the vehicle drew it, it would make the
// non-EV load look smaller than it is. Less counts at once.
void SiteController::refresh_measured(std::size_t i) {
    auto& measured = model_.state.stations[i].measured;
    auto draw = reported_draw(i);
    if (stations_[i].rise_reported_at) {
        if (!measured || !draw) {
            measured.reset();  // nothing taken off until then, the safe direction
            return;
        }
        for (std::size_t p = 0; p < 3; ++p) (*draw)[p] = policy::min((*draw)[p], (*measured)[p]);
    }
    measured = draw;
}

}  // namespace fuseguard::controller
