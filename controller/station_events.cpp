// SiteController, part: what each station's OCPP events change (its
// liveness, connectors, draw, answers to our limits, transactions), and
// whether that calls for a plan now, a publication only, or nothing.
#include <algorithm>
#include <tuple>

#include "drivers/log.hpp"
#include "policy/connector_status.hpp"
#include "site_controller.hpp"

namespace fuseguard::controller {

using policy::Control;
using policy::DeviceState;

namespace {
// No real station has more; a station claiming connector 100000 would
// otherwise grow our tables (and the uptime database) without end.
constexpr int kMaxConnector = 32;
}  // namespace

void SiteController::on_station_event(const ocpp::StationEvent& ev) {
    const auto& id = std::visit([](const auto& e) -> const std::string& { return e.id; }, ev);
    const auto i = station_index(id);
    if (!i) return;  // from a configuration just replaced
    station_event(*i, ev);
}

void SiteController::station_event(std::size_t i, const ocpp::StationEvent& ev) {
    const int connector = std::visit(
        [](const auto& e) {
            using T = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<T, ocpp::ConnectorStatusChanged> || std::is_same_v<T, ocpp::DrawMeasured>)
                return e.connector;
            else if constexpr (std::is_same_v<T, ocpp::ProblemReported>)
                return e.evse;
            else
                return 0;
        },
        ev);
    if (connector < 0 || connector > kMaxConnector) {
        log::warning("ocpp: " + model_.state.stations[i].id + " reported connector/EVSE " + std::to_string(connector) +
                     ": ignored (at most " + std::to_string(kMaxConnector) + ")");
        return;
    }
    auto& s = model_.state.stations[i];
    auto& rt = stations_[i];
    const auto now = now_wall();
    const std::string device = "charger:" + s.id;
    // A report that repeats the last one changes nothing shown: its branch
    // decides (most reports repeat at a steady draw).
    if (!std::holds_alternative<ocpp::DrawMeasured>(ev)) ++rt.revision;
    // A reconnection or a boot clears the station's errors (seed 000).
    auto clear_errors = [&](bool keep_liveness) {
        board_.clear_device(device, keep_liveness);
        for (auto& [n, c] : rt.connectors) c.error_code = "NoError", c.vendor_error_code.reset(), c.info.reset();
    };
    std::visit(
        [&](const auto& e) {
            using T = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<T, ocpp::StationConnected>) {
                forget_in_flight(i);
                forget_vehicle_phases(i);
                s.state = DeviceState::Online;
                s.holds_last_limit = false;
                rt.steps_down_by.reset();
                s.control = Control::Unmanaged;  // gets the limit in force again at once
                rt.rejected.clear();
                rt.version = e.version;
                rt.cause = "connected";
                clear_errors(false);
                refresh_uptime(i);
                request_replan();
            } else if constexpr (std::is_same_v<T, ocpp::StationDisconnected>) {
                forget_in_flight(i);
                forget_vehicle_phases(i);
                // Its last renewal reached it no later than now: its profiles
                // step it down within failsafe_after_s, once it has looked at
                // them, and once its vehicle has followed.
                if (s.state == DeviceState::Online) {
                    rt.steps_down_by = step_down_due(now_steady());
                    s.holds_last_limit = true;
                }
                s.state = DeviceState::Offline;
                s.control = Control::Unmanaged;
                s.measured.reset();
                rt.cause = e.cause;
                // Its link to the CSMS goes with it, as if it were connected directly.
                if (rt.backend_link) {
                    rt.backend_link = "offline";
                    rt.backend_cause = "the station is not connected";
                }
                rt.report_cap.reset();
                rt.pending_rises.clear();
                for (auto& [n, c] : rt.connectors) c.current_a.reset();
                refresh_uptime(i);
                request_replan();
            } else if constexpr (std::is_same_v<T, ocpp::StationBooted>) {
                clear_errors(true);
                refresh_uptime(i);
                changed_();
            } else if constexpr (std::is_same_v<T, ocpp::ConnectorStatusChanged>) {
                auto& c = rt.connectors[e.connector];
                c.status = e.status;
                // A report from before a vehicle stopped or left would take
                // a draw that is gone off a total meter. The station's own
                // report (connector 0) held it too.
                const auto status = policy::parse_connector_status(e.status);
                if (!status || !policy::may_draw(*status)) {
                    c.current_a.reset();
                    if (auto whole = rt.connectors.find(0); whole != rt.connectors.end()) whole->second.current_a.reset();
                    refresh_measured(i);
                }
                if (!status || !policy::in_session(*status)) forget_vehicle_phases(i);
                c.error_code = e.error_code;
                c.vendor_error_code = e.vendor_error_code;
                c.info = e.info;
                if (e.connector > 0) uptime_.add_evse(s.id, e.connector);
                // Shown whatever the status; NoError clears (seed 000).
                if (e.error_code == "NoError" || e.error_code.empty())
                    board_.clear(connector_key(s.id, e.connector));
                else
                    board_.raise(station_error(catalogue_, s.id, e.connector, e.error_code, e.vendor_error_code, e.info,
                                               e.status, now));
                bool wants = false;
                for (const auto& [n, con] : rt.connectors) {
                    const auto st = policy::parse_connector_status(con.status);
                    if (n > 0 && st && policy::wants_current(*st)) wants = true;
                }
                if (wants && !s.wants_current) {
                    rt.wants_since = now_steady();
                    // Limits from before the vehicle came never reached it
                    // (a 0 A while idle is no pause of it): draw_floor starts here.
                    rt.recent_limits.clear();
                }
                s.wants_current = wants;
                refresh_uptime(i);
                request_replan();
            } else if constexpr (std::is_same_v<T, ocpp::DrawMeasured>) {
                // What the policy reads of it, to tell whether a re-plan can
                // change anything: most reports repeat the last one. Its draw
                // only moves the reclaim cap (current between stations; SPEC 1
                // holds by the limits in force); its control and the terminals
                // its vehicle draws on bear on what it is counted at.
                const auto reclaim_input = [&] { return std::tuple(s.measured, s.draw_predates_limit); };
                const auto counted_input = [&] { return std::tuple(s.control, s.vehicle_terminals); };
                const auto reclaim_before = reclaim_input();
                const auto counted_before = counted_input();
                const auto revision = rt.revision;  // check_limit_obeyed bumps it for what it finds
                const bool ends_raise_hold = rt.lowered_at > rt.reported_at;
                auto& reported = rt.connectors[e.connector].current_a;
                const bool repeats = reported == e.current_a;
                reported = e.current_a;
                const auto arrived = now_steady();
                rt.report_cap.reset();
                rt.reported_at = arrived;
                // A first report counts at once: the draw it describes has
                // been in the meter's readings all along, and holding it back
                // would count all of it twice. Unless the station was raised
                // (or given its first limit) a response time before: its
                // vehicle may have only just started, and a reading from
                // before would not hold its draw.
                const bool fresh = arrived - rt.raised_at < kVehicleResponse + kMeterLag;
                if ((s.measured || fresh) && policy::needs_station_draw(model_.state)) note_pending_rise(i, arrived);
                refresh_measured(i);
                refresh_vehicle_phases(i);
                s.draw_predates_limit = arrived - rt.raised_at < kVehicleResponse;
                check_limit_obeyed(i, arrived);
                const bool reclaim_moved = reclaim_input() != reclaim_before;
                const bool counted_moved = counted_input() != counted_before;
                if (!repeats || reclaim_moved || counted_moved) ++rt.revision;
                // A draw that moved, and nothing else, waits for the next
                // tick's re-plan, within a second. Re-planning on every such
                // report was a whole allocation per MeterValues (40 % of a
                // core at 5,000 stations whose cars' draws move,
                // bench_service). Behind a total meter a report moves the
                // non-EV estimate: planned at once, or with the next plan
                // under load (space_report_plans).
                if (counted_moved || ends_raise_hold) return request_replan();
                if ((reclaim_moved && policy::needs_station_draw(model_.state)) || !rt.pending_rises.empty())
                    request_report_plan();
                if (rt.revision != revision) changed_();  // its report is shown at once, whenever its plan comes
            } else if constexpr (std::is_same_v<T, ocpp::LimitAnswered>) {
                // A station answers our CALLs one at a time, in order.
                if (rt.in_flight.empty()) return;  // from before a reconnection
                const auto cmd = rt.in_flight.front();
                if (cmd.limit.milliamps() != std::llround(e.limit_a * 1000)) {
                    log::warning("ocpp: " + s.id + ": answer for a limit of " + std::to_string(e.limit_a) +
                                 " A, expected " + policy::format(cmd.limit) + ": what it holds is unknown");
                    forget_in_flight(i);
                    request_replan();
                    return;
                }
                rt.in_flight.erase(rt.in_flight.begin());
                const bool was_managed = s.control == Control::Managed;
                const double ended = s.limit_in_force.amps();
                if (e.accepted && was_managed && cmd.limit < s.limit_in_force && cmd.sent_at > rt.wants_since)
                    rt.lowered_at = now_steady();
                policy::apply_answer(model_.state, cmd,
                                     e.accepted     ? policy::LimitOutcome::Accepted
                                     : e.unanswered ? policy::LimitOutcome::Unanswered
                                                    : policy::LimitOutcome::Refused);
                if (e.accepted && !was_managed) limit_raised(i);  // its draw so far was its own doing
                if (e.accepted) limit_replaced(i, was_managed ? std::optional(ended) : std::nullopt, now_steady());
                // Accepting is what it always did: only its draw clears it.
                if (rt.limit_ignored) s.control = Control::Rejected;
                if (!e.accepted) {
                    rt.rejected = e.detail;
                    log::warning("ocpp: " + s.id + " did not accept its limit of " + policy::format(cmd.limit) + " (" +
                                 e.detail + "): counted at its capacity");
                }
                request_replan();
            } else if constexpr (std::is_same_v<T, ocpp::ProblemReported>) {
                auto n = station_problem(catalogue_, s.id, e.evse, e.component, e.variable, e.value, e.tech_code,
                                         e.tech_info, now);
                e.cleared ? board_.clear(n.id) : board_.raise(std::move(n));
                refresh_uptime(i);
                changed_();
            } else if constexpr (std::is_same_v<T, ocpp::SecurityEventReported>) {
                auto n = security_notification(catalogue_, s.id, e.type, e.info, now);
                if (!n) return;
                board_.raise(std::move(*n));
                changed_();
            } else if constexpr (std::is_same_v<T, ocpp::FailsafeChecked>) {
                failsafe_checked(i, e);
            } else if constexpr (std::is_same_v<T, ocpp::BackendLimitChanged>) {
                // An upper bound the operator's CSMS set (SPEC 3): never below 0.
                s.backend_limit = e.limit_a ? std::optional(policy::Amps::round_down(std::max(*e.limit_a, 0.0)))
                                            : std::nullopt;
                log::info("ocpp: " + s.id + ": backend limit " +
                          (s.backend_limit ? policy::format(*s.backend_limit) : std::string("none")));
                request_replan();
            } else if constexpr (std::is_same_v<T, ocpp::BackendLinkChanged>) {
                rt.backend_link = e.state;
                rt.backend_cause = e.cause;
                rt.backend_queued = e.queued;
                refresh_device_notifications();
                changed_();
            } else if constexpr (std::is_same_v<T, ocpp::TransactionChanged>) {
                if (e.started) forget_vehicle_phases(i);  // perhaps another vehicle
                // A tag with a priority in the installer's list lifts its
                // station while its transaction runs (seed 000).
                const int priority = transaction_priority(s.id, e.started ? e.id_tag : std::nullopt);
                if (priority != s.priority) {
                    log::info("ocpp: " + s.id + ": priority " + std::to_string(priority) +
                              (e.started ? " for tag " + e.id_tag.value_or("") : std::string(" again")));
                    s.priority = priority;
                    request_replan();
                }
                changed_();
            }
        },
        ev);
}

int SiteController::transaction_priority(const std::string& station, const std::optional<std::string>& tag) const {
    int priority = 0;
    for (const auto& c : cfg_->chargers)
        if (c.id == station) priority = c.priority;
    if (tag && cfg_->authorization)
        for (const auto& t : cfg_->authorization->tags)
            if (t.id == *tag) priority = std::max(priority, t.priority);
    return priority;
}

}  // namespace fuseguard::controller
