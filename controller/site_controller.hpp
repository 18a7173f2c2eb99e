#pragma once
// The live site (SPEC 1, 3, 6, 7): driver events in, the policy run at once,
// limits out in a safe order, notifications and uptime kept. Everything here
// runs on the io_context thread; drivers only post events to it.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "catalogue.hpp"
#include "clocks.hpp"
#include "held_limits.hpp"
#include "latency_histogram.hpp"
#include "config/config.hpp"
#include "drivers/modbus/bus.hpp"
#include "drivers/ocpp/events.hpp"
#include "notification_board.hpp"
#include "policy/allocation.hpp"
#include "policy/transition.hpp"
#include "site_model.hpp"
#include "uptime.hpp"

namespace fuseguard::controller {

// IEC 61851-1 gives the vehicle 5 s to follow a new PWM duty cycle: a draw
// reported sooner after a raise may not show it yet, and a station stepped
// down by its profiles draws its fallback only that much later.
inline constexpr auto kVehicleResponse = std::chrono::seconds(5);
// A meter reading completed this soon after a station's report may still
// hold the draw from before it: meters average over about a second and a
// poll in flight was sampled earlier.
inline constexpr auto kMeterLag = std::chrono::seconds(1);

struct ConnectorView {
    std::string status = "Unknown";
    std::string error_code = "NoError";
    std::optional<std::string> vendor_error_code, info;
    // As the station reported it; none once a status says no vehicle draws
    // (until it reports again): an old report must not outlive the charge.
    std::optional<std::array<double, 3>> current_a;
};

// A limit sent to a station and not answered yet.
struct SentLimit : policy::LimitCommand {
    std::chrono::steady_clock::time_point sent_at{};
};

// What the controller knows about a station beyond the policy's input.
// Its windows (in_flight, recent_limits...) hold a few entries each and are
// vectors, trimmed from the front: a std::deque allocates 576 bytes even
// empty, 2.3 KB a station for these four (heaptrack, bench_service).
struct StationRuntime {
    std::map<int, ConnectorView> connectors;
    std::optional<ocpp::Version> version;
    std::vector<SentLimit> in_flight;                // sent, not answered yet, oldest first
    std::string cause;                              // of the last liveness change
    std::string rejected;                           // why it refused our limit
    double served_s = 0;                            // time given current, for turns
    std::uint64_t revision = 0;                     // bumped on every event of its own
    std::chrono::steady_clock::time_point raised_at{};    // its limit in force last went up
    std::chrono::steady_clock::time_point lowered_at{};   // it accepted a lower limit sent since its vehicle came
    std::chrono::steady_clock::time_point wants_since{};  // it last began to want current (a vehicle came)
    std::chrono::steady_clock::time_point reported_at{};  // it last reported its draw
    // What its report may still stand for, as worked out at the last meter
    // reading (none: the report stands as it is). See station_draw.cpp,
    // "what a report stands for".
    std::optional<policy::Amps> report_cap;
    // Limits sent to it since its vehicle came, lately, oldest first, with
    // when; the first may be older than the rest (the one in force when they
    // began).
    std::vector<std::pair<std::chrono::steady_clock::time_point, policy::Amps>> recent_limits;
    // Reports that say it draws more than is taken off a total meter now,
    // oldest first, each waiting for a meter reading that holds its draw
    // (see refresh_measured). Most hold at the next reading.
    struct PendingRise {
        std::chrono::steady_clock::time_point arrived;
        std::array<policy::Amps, 3> draw;
    };
    std::vector<PendingRise> pending_rises;
    // Reports in a row that showed its vehicle drawing on these terminals
    // only (see refresh_vehicle_phases).
    policy::PhaseSet fewer_terminals_seen;
    int fewer_terminal_reports = 0;
    // Lost: by when its own profiles have stepped it down to its fallback
    // at the latest (policy::StationInput::holds_last_limit until then).
    std::optional<std::chrono::steady_clock::time_point> steps_down_by;
    // When to ask it for its draw, unless it reports before (a raise
    // behind a total meter, see SiteController::ask_for_draw_with).
    std::optional<std::chrono::steady_clock::time_point> ask_draw_at;
    // What GetCompositeSchedule last showed of its failsafe (none: not
    // checked yet, "pending"), and why it is not verified.
    std::optional<ocpp::FailsafeVerdict> failsafe;
    // Its link to the CSMS (local controller): none without a backend.
    std::optional<std::string> backend_link;
    std::string backend_cause;
    std::size_t backend_queued = 0;
    std::string failsafe_reason;
    // The limits it held until a vehicle's response time ago (when each
    // ended, what it was; +inf before its first), since when its reports
    // show it drawing above all of them, and whether that made it one that
    // ignores its limits (limit_obeyed.cpp).
    std::vector<std::pair<std::chrono::steady_clock::time_point, double>> limits_ended;
    // What its notifications were last worked out from: while it is the
    // same, refresh_device_notifications has nothing to do for it.
    struct NotesFrom {
        std::uint64_t revision = 0;
        bool grace_over = false;
        policy::DeductionRule rule{};
        std::array<std::int64_t, 3> deduction_ma{};
        bool operator==(const NotesFrom&) const = default;
    };
    std::optional<NotesFrom> notes_from;
    std::optional<std::chrono::steady_clock::time_point> over_since;
    bool limit_ignored = false;
};

// The failsafe as chargers/<id> and --view show it: pending (not checked
// yet), verified, unverified, or unsupported (no fallback configured, or a
// station that cannot hold the layers).
std::string_view failsafe_state(const policy::StationInput& s, const StationRuntime& rt);

struct DeviceRuntime {
    std::optional<WallClock::time_point> last_reading;
    std::array<double, 3> values{};  // current_a (meter) or reserved_a (EMS), site L1..L3
    std::string cause;
};

// Per fuse node, as things stand now (limits in force, devices as they are).
struct NodeFigures {
    policy::PhaseCurrents available;  // capacity minus everything not under our control
    policy::PhaseCurrents allocated;  // limits in force of managed stations
    policy::PhaseCurrents non_ev;     // metered non-EV load or meter fallbacks
    // The most the non-EV load may be: above non_ev while limit changes on
    // their way to vehicles may hide part of it behind a total meter.
    policy::PhaseCurrents non_ev_most;
    policy::PhaseCurrents ems;        // EMS reservations or fallbacks
};

class SiteController {
public:
    // Sends a limit (amperes) to a station; false when it is not connected.
    using LimitSender = std::function<bool(const std::string& id, double amps)>;

    // The configuration is shared with the service that reloads it (a large
    // site's chargers once, not twice); the second form copies it.
    SiteController(boost::asio::io_context& io, std::shared_ptr<const config::Config> cfg, const Catalogue& catalogue,
                   UptimeTracker& uptime, LimitSender send, std::function<void()> changed,
                   HeldLimitStore* held_limits = nullptr, Clocks clocks = {});
    SiteController(boost::asio::io_context& io, const config::Config& cfg, const Catalogue& catalogue,
                   UptimeTracker& uptime, LimitSender send, std::function<void()> changed,
                   HeldLimitStore* held_limits = nullptr, Clocks clocks = {})
        : SiteController(io, std::make_shared<const config::Config>(cfg), catalogue, uptime, std::move(send),
                         std::move(changed), held_limits, std::move(clocks)) {}

    // After a reload: what the previous controller knew about devices that
    // are still configured (liveness, connectors, readings, the limits the
    // stations hold and the ones on their way to them).
    void adopt(const SiteController& previous);

    void on_station_event(const ocpp::StationEvent& e);
    void on_device_event(const modbus::DeviceEvent& e);
    // Once a second: turns, stations that never connected, uptime, re-plan.
    void tick();

    const SiteModel& model() const { return model_; }
    const policy::Allocation& target() const { return target_; }
    const std::vector<StationRuntime>& stations() const { return stations_; }
    const std::vector<DeviceRuntime>& meters() const { return meters_; }
    const std::vector<DeviceRuntime>& ems() const { return ems_; }
    const NotificationBoard& notifications() const { return board_; }
    const UptimeTracker& uptime() const { return uptime_; }
    const config::Config& config() const { return *cfg_; }
    std::vector<NodeFigures> node_figures() const { return node_figures(deductions_now()); }
    std::vector<NodeFigures> node_figures(const std::vector<policy::Deduction>& now) const;
    // Every deduction in force now, managed stations' limits included.
    std::vector<policy::Deduction> deductions_now() const;
    static bool is_managed_limit(const policy::Deduction& d);
    // Never-connected stations count as offline once this is past.
    bool startup_grace_over() const;

    // What a station's connectors report drawing together, per terminal
    // phase (connector 0 and the sum of the others measure the same draw:
    // the smaller counts); none before it reports.
    std::optional<std::array<policy::Amps, 3>> reported_total(std::size_t station) const;
    // Asks a station for a report of its draw now (TriggerMessage
    // MeterValues) on `connector` (0: the station as a whole).
    using DrawAsker = std::function<void(const std::string& id, int connector)>;
    // Behind a total meter, a station raised and silent since is asked for
    // its draw once its vehicle has had kVehicleResponse to follow: until
    // it reports, what its vehicle draws is unknown, and the non-EV load
    // may hide that much (see draw_most). Without an asker, the station's
    // next report is waited for.
    void ask_for_draw_with(DrawAsker asker) { ask_draw_ = std::move(asker); }
    // Behind a total meter every report of a draw moves the non-EV estimate
    // and needs a plan. Under load, such plans are spaced at least this far
    // apart (real time): a report that comes sooner after the last plan
    // waits for the first plan after it, at most this long. Meter readings,
    // devices lost and commands answered are planned at once as before.
    // Zero (the default, and what tests with their own clocks keep): every
    // report is planned at once.
    void space_report_plans(std::chrono::milliseconds spacing) { report_plan_spacing_ = spacing; }
    // Limits sent so far and how many were lowerings (for tests and benches).
    std::uint64_t limits_sent() const { return limits_sent_; }
    // How long each re-plan took (the policy and sending its commands).
    const LatencyHistogram& plan_latency() const { return plan_latency_; }

private:
    std::chrono::steady_clock::time_point now_steady() const { return clocks_.steady(); }
    WallClock::time_point now_wall() const { return clocks_.wall(); }
    void request_replan();
    // A re-plan for a station's report behind a total meter: spaced under
    // load (space_report_plans).
    void request_report_plan();
    void replan();
    bool send(const policy::LimitCommand& cmd);
    // What the limits on their way to stations hold up (SPEC 1 from the
    // stations' side, see replan): a lowering, or a limit of an unconfirmed
    // station, which is counted at capacity until it answers.
    struct InFlight {
        bool lowering = false, unconfirmed = false;
    };
    InFlight in_flight() const;
    // Limits on their way whose answers will not come (a new connection)
    // or cannot be matched: the station may or may not have applied them.
    void forget_in_flight(std::size_t station);
    // Draws reported before the vehicle could follow this raise do not free
    // any of it (policy::StationInput::draw_predates_limit).
    void limit_raised(std::size_t station);
    // After a plan: each total meter's non-EV estimate kept for the next,
    // and where raises wait for what limit changes on their way may hide.
    void carry_non_ev_estimate();
    bool raises_wait(std::size_t station) const {
        const auto node = model_.state.stations[station].node.value;
        return node < raises_wait_.size() && raises_wait_[node];
    }
    // Asks the stations whose ask_draw_at has come (tick).
    void ask_for_draws(std::chrono::steady_clock::time_point now);
    // A meter was read: caps reports at the limits in force, lets reports of
    // a higher draw count (see refresh_measured).
    void on_meter_read(std::chrono::steady_clock::time_point at);
    // A report arrived that may say it draws more than is taken off now.
    void note_pending_rise(std::size_t station, std::chrono::steady_clock::time_point arrived);
    // reported_total capped at report_cap.
    std::optional<std::array<policy::Amps, 3>> reported_draw(std::size_t station) const;
    bool raise_held(std::size_t station, std::chrono::steady_clock::time_point now) const;
    // The policy's `measured` from the connectors' reports and report_cap.
    void refresh_measured(std::size_t station);
    // Remembers a limit sent, for draw_floor.
    void limit_sent(std::size_t station, policy::Amps limit);
    // The least its vehicle may draw at a reading completed at `at`, as far
    // as the limits sent go; none when no limit was sent lately.
    std::optional<policy::Amps> draw_floor(std::size_t station, std::chrono::steady_clock::time_point at) const;
    // The lowest limit its vehicle had to follow since its report, by a
    // reading completed at `at`; none when there is none.
    std::optional<policy::Amps> draw_followed(std::size_t station, std::chrono::steady_clock::time_point at) const;
    // The most its vehicle may draw at a reading completed at `at`, per
    // terminal (policy::StationInput::measured_most).
    std::array<policy::Amps, 3> draw_most(std::size_t station, std::chrono::steady_clock::time_point at) const;
    // Whether its vehicle draws on fewer phases than it has, from its
    // reports; forget_vehicle_phases when the vehicle may have changed.
    void refresh_vehicle_phases(std::size_t station);
    void forget_vehicle_phases(std::size_t station);
    void refresh_device_notifications();
    // When a station lost now has been stepped down by its own profiles.
    std::chrono::steady_clock::time_point step_down_due(std::chrono::steady_clock::time_point lost) const;
    // A restart: stations still hold the limits the previous run gave them.
    void restore_held_limits();
    void settle_held_limits(std::chrono::steady_clock::time_point now);
    // Whether its fallback is what it draws on its own (SPEC 1): verified,
    // or trusted by the installer.
    bool fallback_trusted(const StationRuntime& rt) const;
    void failsafe_checked(std::size_t station, const ocpp::FailsafeChecked& e);
    // The station's configured priority, or `tag`'s in the authorization
    // list when that is higher.
    int transaction_priority(const std::string& station, const std::optional<std::string>& tag) const;
    // A station drawing above the limit it accepted ignores it.
    void check_limit_obeyed(std::size_t station, std::chrono::steady_clock::time_point now);
    // A limit it accepted replaced `ended` (none: it was not managed, its
    // draw was its own doing).
    void limit_replaced(std::size_t station, std::optional<double> ended, std::chrono::steady_clock::time_point now);
    void refresh_uptime(std::size_t station);
    void station_event(std::size_t i, const ocpp::StationEvent& e);
    std::optional<std::size_t> station_index(const std::string& id) const;

    boost::asio::io_context& io_;
    Clocks clocks_;
    std::shared_ptr<const config::Config> cfg_;
    const Catalogue& catalogue_;
    UptimeTracker& uptime_;
    LimitSender send_;
    std::function<void()> changed_;

    SiteModel model_;
    policy::Allocation target_;
    std::vector<StationRuntime> stations_;
    std::vector<DeviceRuntime> meters_, ems_;
    std::map<std::string, std::size_t> station_by_id_;
    NotificationBoard board_;
    std::chrono::steady_clock::time_point started_, last_tick_;
    bool replan_posted_ = false;
    std::chrono::milliseconds report_plan_spacing_{0};
    std::chrono::steady_clock::time_point last_plan_real_;  // when the last plan ran, real time
    boost::asio::steady_timer report_plan_timer_;
    bool report_plan_armed_ = false;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // guards posted work
    std::uint64_t limits_sent_ = 0;
    DrawAsker ask_draw_;
    // Per fuse node: limit changes on their way may hide non-EV load behind
    // a total meter at or above it, and raises wait (carry_non_ev_estimate).
    std::vector<bool> raises_wait_;
    bool meter_read_ = false;        // since the last plan
    LatencyHistogram plan_latency_;
    HeldLimitStore* held_limits_ = nullptr;  // none in tests that do not restart
    std::chrono::steady_clock::time_point settled_at_{};
};

}  // namespace fuseguard::controller
