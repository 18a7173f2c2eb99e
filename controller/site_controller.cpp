#include "site_controller.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <cmath>

#include "drivers/log.hpp"

namespace fuseguard::controller {

using policy::Amps;
using policy::Control;
using policy::DeviceState;

namespace {
// Among equal priorities, who charged least goes first; turns change in
// steps of this long so that paused stations rotate without flapping.
constexpr double kTurnSeconds = 300;
}  // namespace

SiteController::SiteController(boost::asio::io_context& io, std::shared_ptr<const config::Config> cfg, const Catalogue& catalogue,
                               UptimeTracker& uptime, LimitSender send, std::function<void()> changed,
                               HeldLimitStore* held_limits, Clocks clocks)
    : io_(io),
      clocks_(std::move(clocks)),
      cfg_(std::move(cfg)),
      catalogue_(catalogue),
      uptime_(uptime),
      send_(std::move(send)),
      changed_(std::move(changed)),
      model_(build_site_model(*cfg_)),
      stations_(model_.state.stations.size()),
      meters_(model_.state.meters.size()),
      ems_(model_.state.ems.size()),
      started_(now_steady()),
      last_tick_(started_),
      report_plan_timer_(io),
      held_limits_(held_limits),
      settled_at_(started_) {
    for (std::size_t i = 0; i < model_.state.stations.size(); ++i) station_by_id_[model_.state.stations[i].id] = i;
    restore_held_limits();
    // Every device is unknown: the first plan deducts every fallback.
    replan();
}

void SiteController::adopt(const SiteController& previous) {
    const auto& old = previous.model_.state;
    for (std::size_t j = 0; j < old.stations.size(); ++j) {
        const auto i = station_index(old.stations[j].id);
        if (!i) continue;
        auto& s = model_.state.stations[*i];
        const auto& was = old.stations[j];
        s.state = was.state;
        // A reload changes nothing at the station: it still holds the limit
        // it accepted, and a limit on its way still arrives (its answer comes
        // to this controller). Counting it at capacity instead would let the
        // first plan raise others while its lowering is unanswered. A station
        // that refused its limit is asked again: the reload may be the fix.
        s.control = was.control == Control::Managed ? Control::Managed : Control::Unmanaged;
        s.limit_in_force = was.limit_in_force;
        s.limit_known = was.limit_known;
        s.measured = was.measured;
        if (cfg_->backend) s.backend_limit = was.backend_limit;  // the CSMS's profiles live on in the OCPP side
        s.wants_current = was.wants_current;
        s.draw_predates_limit = was.draw_predates_limit;
        s.holds_last_limit = was.holds_last_limit;
        s.turn = was.turn;
        stations_[*i] = previous.stations_[j];
        s.fallback_trusted = fallback_trusted(stations_[*i]);  // the reload may trust it now, or not
        ++stations_[*i].revision;
    }
    auto carry = [](auto& now, auto& rt_now, const auto& before, const auto& rt_before) {
        for (std::size_t j = 0; j < before.size(); ++j)
            for (std::size_t i = 0; i < now.size(); ++i)
                if (now[i].id == before[j].id) {
                    now[i].state = before[j].state;
                    rt_now[i] = rt_before[j];
                }
    };
    carry(model_.state.meters, meters_, old.meters, previous.meters_);
    carry(model_.state.ems, ems_, old.ems, previous.ems_);
    for (std::size_t i = 0; i < model_.state.meters.size(); ++i)
        for (auto p : policy::kAllPhases)
            model_.state.meters[i].current[p] = Amps::round_up(meters_[i].values[policy::index(p)]);
    for (std::size_t i = 0; i < model_.state.ems.size(); ++i)
        for (auto p : policy::kAllPhases)
            model_.state.ems[i].reserved[p] = Amps::round_up(ems_[i].values[policy::index(p)]);
    started_ = previous.started_;
    replan();
}

bool SiteController::is_managed_limit(const policy::Deduction& d) {
    return d.kind == policy::DeviceKind::Charger &&
           (d.rule == policy::DeductionRule::StationLimit || d.rule == policy::DeductionRule::StationStrictReserve);
}

std::vector<policy::Deduction> SiteController::deductions_now() const {
    return policy::current_deductions(model_.tree, model_.state);
}

std::vector<NodeFigures> SiteController::node_figures(const std::vector<policy::Deduction>& current) const {
    std::vector<policy::Deduction> managed;
    for (const auto& d : current)
        if (is_managed_limit(d)) managed.push_back(d);
    const auto loads = policy::node_loads(model_.tree, current);
    const auto allocated = policy::node_loads(model_.tree, managed);
    // The meters at the most the last plan found their readings allow.
    std::vector<policy::Deduction> meters_at_most;
    bool hides = false;
    const auto& most = target_.non_ev_most;
    for (const auto& d : current) {
        if (d.kind != policy::DeviceKind::Meter) continue;
        auto& m = meters_at_most.emplace_back(d);
        if (d.rule != policy::DeductionRule::MeterMeasured || d.index >= most.size()) continue;
        for (auto p : policy::kAllPhases)
            if (most[d.index][p] > m.current[p]) m.current[p] = most[d.index][p], hides = true;
    }
    const auto loads_at_most = hides ? policy::node_loads(model_.tree, meters_at_most) : std::vector<policy::NodeLoad>{};
    std::vector<NodeFigures> out(loads.size());
    for (std::uint32_t n = 0; n < loads.size(); ++n) {
        const auto cap = policy::capacity(model_.tree, policy::NodeId{n}, model_.state.settings);
        auto& f = out[n];
        f.allocated = allocated[n].stations;
        f.non_ev = loads[n].non_ev;
        f.non_ev_most = loads_at_most.empty() ? f.non_ev : policy::elementwise_max(f.non_ev, loads_at_most[n].non_ev);
        f.ems = loads[n].ems;
        for (auto p : policy::kAllPhases) f.available[p] = cap - (loads[n].total()[p] - allocated[n].stations[p]);
    }
    return out;
}

bool SiteController::startup_grace_over() const {
    return now_steady() - started_ >= std::chrono::duration<double>(cfg_->ocpp.offline_after_s);
}

std::optional<std::size_t> SiteController::station_index(const std::string& id) const {
    auto it = station_by_id_.find(id);
    if (it == station_by_id_.end()) return std::nullopt;
    return it->second;
}

// Events that arrive together (a burst of MeterValues, a bus reporting
// several devices) are planned once, right after the last of them.
void SiteController::request_replan() {
    if (replan_posted_) return;
    replan_posted_ = true;
    // A reload may replace this controller before the post runs.
    boost::asio::post(io_, [this, alive = std::weak_ptr<bool>(alive_)] {
        if (!alive.lock()) return;
        replan_posted_ = false;
        replan();
    });
}

void SiteController::request_report_plan() {
    const auto now = std::chrono::steady_clock::now();
    if (report_plan_spacing_.count() == 0 || now - last_plan_real_ >= report_plan_spacing_) return request_replan();
    if (report_plan_armed_) return;
    report_plan_armed_ = true;
    report_plan_timer_.expires_at(last_plan_real_ + report_plan_spacing_);
    // A plan that comes first cancels the wait; its handler may have been
    // queued already, so it also checks that no plan ran since.
    report_plan_timer_.async_wait([this, alive = std::weak_ptr<bool>(alive_), plans = plan_latency_.count()](
                                      boost::system::error_code ec) {
        if (ec || !alive.lock() || plan_latency_.count() != plans) return;
        report_plan_armed_ = false;
        request_replan();
    });
}

void SiteController::tick() {
    const auto now = now_steady();
    const double dt = std::chrono::duration<double>(now - last_tick_).count();
    last_tick_ = now;
    for (std::size_t i = 0; i < stations_.size(); ++i) {
        auto& s = model_.state.stations[i];
        const auto& d = target_.stations[i];
        if (d.target && *d.target > Amps{}) stations_[i].served_s += dt;
        s.turn = static_cast<std::uint64_t>(stations_[i].served_s / kTurnSeconds);
        if (s.state == DeviceState::Unknown) refresh_uptime(i);
        if (stations_[i].steps_down_by && now >= *stations_[i].steps_down_by) {
            stations_[i].steps_down_by.reset();
            s.holds_last_limit = false;
            ++stations_[i].revision;
        }
    }
    settle_held_limits(now);
    ask_for_draws(now);
    uptime_.alive(now_wall());
    // No total meter to wait for (any more): reports count as they are.
    if (!policy::needs_station_draw(model_.state))
        for (std::size_t i = 0; i < stations_.size(); ++i)
            if (!stations_[i].pending_rises.empty()) {
                stations_[i].pending_rises.clear();
                refresh_measured(i);
            }
    replan();
}

void SiteController::on_device_event(const modbus::DeviceEvent& e) {
    policy::DeviceState* state = nullptr;
    policy::PhaseCurrents* value = nullptr;
    DeviceRuntime* rt = nullptr;
    auto& st = model_.state;
    if (e.kind == modbus::DeviceKind::Meter) {
        for (std::size_t i = 0; i < st.meters.size(); ++i)
            if (st.meters[i].id == e.id) state = &st.meters[i].state, value = &st.meters[i].current, rt = &meters_[i];
    } else {
        for (std::size_t i = 0; i < st.ems.size(); ++i)
            if (st.ems[i].id == e.id) state = &st.ems[i].state, value = &st.ems[i].reserved, rt = &ems_[i];
    }
    if (!state) return;
    if (e.reading) {
        for (auto p : policy::kAllPhases) {
            const double v = e.reading->current_a[policy::index(p)];
            (*value)[p] = Amps::round_up(v);
            rt->values[policy::index(p)] = v;
        }
        rt->last_reading = e.at;
        if (e.kind == modbus::DeviceKind::Meter) on_meter_read(e.at_mono);
    }
    if (e.transition) {
        *state = e.transition->to;
        rt->cause = e.transition->cause;
        const auto msg = std::string(modbus::prefix(e.kind)) + ":" + e.id + " " +
                         std::string(policy::name(e.transition->from)) + " -> " +
                         std::string(policy::name(e.transition->to)) + " (" + e.transition->cause + ")";
        e.transition->to == DeviceState::Online ? log::info(msg) : log::warning(msg);
    }
    request_replan();
}

}  // namespace fuseguard::controller
