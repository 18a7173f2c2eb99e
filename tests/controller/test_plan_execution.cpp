// Property test of the controller's plan execution (SPEC 1: lower before
// raise) against stations modelled as they behave: a station may apply a
// limit the moment it receives it and its answer comes later; it answers its
// CALLs one at a time, in order; an answer may be a rejection or never come
// (the session times out), and a station that timed out may or may not have
// applied the limit. Events come in random orders: answers delayed and
// interleaved across stations, vehicles arriving and leaving, the non-EV
// load moving, reloads that change a station's cap, ticks.
//
// Checked at every limit fuseguard sends: no raise while another station's
// lowering is unanswered, and no send takes the site (each station counted
// at the most it may draw until it answers) above its fuse or further above
// it than it already was. Checked at the end, once every station answers:
// every station holds its target.
//
// FUSEGUARD_PLAN_SEED=<n> replays one seed.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <memory>
#include <random>
#include <sstream>

#include "common/temp_dir.hpp"
#include "config/load.hpp"
#include "controller/catalogue.hpp"
#include "controller/site_controller.hpp"
#include "controller/terminal_view.hpp"
#include "controller/uptime.hpp"

using namespace fuseguard;
using namespace fuseguard::controller;

namespace {

constexpr double kFuse = 100;
constexpr int kStations = 5;

std::string site_yaml(const std::vector<int>& max_a, const std::string& measures) {
    std::ostringstream y;
    y << "site: { id: prop, fuse_limit_a: " << kFuse << " }\n"
      << "policy: { min_current_a: 6 }\n"
      << "meters:\n"
      << "  - { id: grid, measures: " << measures << ", modbus: { host: 127.0.0.1, port: 1 }, "
         "registers: { current_a: { address: 1, per_phase: true } }, fallback_a: 20 }\n"
      << "chargers:\n";
    for (std::size_t i = 0; i < max_a.size(); ++i)
        y << "  - { id: S" << i << ", max_current_a: " << max_a[i] << ", fallback_current_a: 6 }\n";
    y << "ocpp: { listen: 127.0.0.1:0 }\n";
    return y.str();
}

config::Config load(const std::vector<int>& max_a, const std::string& measures = "non_ev") {
    auto r = config::load_string(site_yaml(max_a, measures), "<plan-test>");
    REQUIRE(r.ok());
    return *r.config;
}

// A station as the world has it: what it holds, what is on its way to it.
struct StationModel {
    std::optional<double> held;  // the limit it applies; none: no profile yet
    std::deque<double> pending;  // sent to it, not answered, in order
    double capacity = 32;        // max_current_a: what it can draw at most (SPEC 2)
    // The most it may draw now: a pending limit may already be applied.
    double may_draw() const {
        double most = held.value_or(capacity);
        for (double p : pending) most = std::max(most, p);
        return std::min(most, capacity);
    }
    // A limit on its way that lowers what it may draw.
    bool lowering_pending() const {
        double before = held.value_or(capacity);
        for (double p : pending) {
            if (p < before) return true;
            before = p;
        }
        return false;
    }
};

struct World {
    std::mt19937 rng;
    std::vector<StationModel> stations{kStations};
    double non_ev = 10;
    std::vector<std::string> failures;
    std::vector<std::string> trace;  // what happened, for a failing seed

    double site_total() const {
        double t = non_ev;
        for (const auto& s : stations) t += s.may_draw();
        return t;
    }

    // What the LimitSender does: the station receives the limit. `counted`
    // is what the sending controller counts for it until it answers.
    void receive(std::size_t i, double amps, double counted) {
        auto& s = stations[i];
        const double before_total = site_total();
        // SPEC 1's order, in the controller's own terms: a limit above what
        // it counts for the station waits for every lowering's answer.
        if (amps > counted && amps > s.may_draw())
            for (std::size_t j = 0; j < stations.size(); ++j)
                if (j != i && stations[j].lowering_pending())
                    failures.push_back("raise of S" + std::to_string(i) + " to " + std::to_string(amps) +
                                       " A sent while S" + std::to_string(j) + "'s lowering is unanswered");
        s.pending.push_back(amps);
        trace.push_back("  -> S" + std::to_string(i) + " sent " + std::to_string(amps));
        const double after_total = site_total();
        if (after_total > kFuse + 1e-9 && after_total > before_total + 1e-9)
            failures.push_back("sending S" + std::to_string(i) + " " + std::to_string(amps) + " A takes the site from " +
                               std::to_string(before_total) + " to " + std::to_string(after_total) + " A");
    }
};

struct Harness {
    boost::asio::io_context io;
    test::TempDir dir;
    Catalogue catalogue;
    UptimeTracker uptime{":memory:", WallClock::now()};
    World world;
    std::vector<int> max_a;
    std::unique_ptr<SiteController> site;

    explicit Harness(std::uint32_t seed, const std::string& measures = "non_ev") : max_a(kStations, 32) {
        world.rng.seed(seed);
        site = make(load(max_a, measures));
        // Their failsafes verified (by an earlier run): not connected, they
        // count at their fallbacks.
        for (std::size_t i = 0; i < max_a.size(); ++i)
            site->on_station_event(ocpp::FailsafeChecked{"S" + std::to_string(i), ocpp::FailsafeVerdict::Verified, ""});
        run();
    }

    std::unique_ptr<SiteController> make(const config::Config& cfg) {
        // The sender needs the controller that sends, which during a reload
        // is not yet `site`.
        auto sender = std::make_shared<const SiteController*>(nullptr);
        auto c = std::make_unique<SiteController>(
            io, cfg, catalogue, uptime,
            [this, sender](const std::string& id, double amps) {
                const auto i = static_cast<std::size_t>(std::stoi(id.substr(1)));
                world.receive(i, amps, (*sender)->model().state.stations[i].counted_now().amps());
                return true;
            },
            [] {});
        *sender = c.get();
        return c;
    }

    void run() {
        io.restart();
        io.poll();
    }
    void station(const ocpp::StationEvent& e) {
        site->on_station_event(e);
        run();
    }
    // `wall_step`: how far the wall clock was stepped before this reading;
    // `later`: how much later than now by the monotonic clock it completes.
    void meter(double amps, std::chrono::system_clock::duration wall_step = {},
               std::chrono::steady_clock::duration later = {}) {
        world.trace.push_back("meter " + std::to_string(amps));
        world.non_ev = amps;
        modbus::DeviceEvent e;
        e.kind = modbus::DeviceKind::Meter;
        e.id = "grid";
        e.reading = modbus::Reading{};
        e.reading->current_a = {amps, amps, amps};
        e.at = WallClock::now() + wall_step;
        e.at_mono = std::chrono::steady_clock::now() + later;
        if (site->model().state.meters[0].state != policy::DeviceState::Online)
            e.transition = modbus::Transition{policy::DeviceState::Unknown, policy::DeviceState::Online, "read"};
        site->on_device_event(e);
        run();
    }
    // Station i answers its oldest CALL.
    void answer(std::size_t i, bool all_accept = false) {
        auto& s = world.stations[i];
        if (s.pending.empty()) return;
        const double amps = s.pending.front();
        s.pending.pop_front();
        const int roll = all_accept ? 0 : std::uniform_int_distribution<int>(0, 19)(world.rng);
        ocpp::LimitAnswered a{"S" + std::to_string(i), amps, roll < 17, roll < 17 ? "Accepted" : "Rejected", false};
        if (roll < 17) s.held = amps;
        world.trace.push_back("S" + std::to_string(i) + " answers " + std::to_string(amps) + " " + std::to_string(roll));
        if (roll == 19) {  // no answer within the session's timeout; it may have applied it
            a.detail = "timeout";
            a.unanswered = true;
            if (world.rng() % 2) s.held = amps;
        }
        station(a);
    }
    void report(std::size_t i, double amps) {
        world.trace.push_back("S" + std::to_string(i) + " reports " + std::to_string(amps));
        station(ocpp::DrawMeasured{"S" + std::to_string(i), 1, {amps, amps, amps}});
    }
    void vehicle(std::size_t i, const std::string& status) {
        world.trace.push_back("S" + std::to_string(i) + " " + status);
        station(ocpp::ConnectorStatusChanged{"S" + std::to_string(i), 1, status, "NoError", std::nullopt, std::nullopt});
    }
    // An installer edits one station's cap and sends SIGHUP.
    void reload() {
        auto& m = max_a[world.rng() % max_a.size()];
        m = std::uniform_int_distribution<int>(10, 32)(world.rng);
        world.trace.push_back("reload");
        auto next = make(load(max_a));
        next->adopt(*site);
        site = std::move(next);  // as Service::apply: the new controller takes every event from now on
        for (std::size_t i = 0; i < world.stations.size(); ++i) world.stations[i].capacity = max_a[i];
        run();
    }
};

void run_seed(std::uint32_t seed, int steps) {
    Harness h(seed);
    auto& rng = h.world.rng;
    h.meter(10);
    for (std::size_t i = 0; i < kStations; ++i) {
        h.station(ocpp::StationConnected{"S" + std::to_string(i), ocpp::Version::V16});
        h.vehicle(i, rng() % 2 ? "Charging" : "Available");
    }
    static const char* statuses[] = {"Available", "Preparing", "Charging", "SuspendedEV", "Finishing"};
    for (int step = 0; step < steps && h.world.failures.empty(); ++step) {
        const int what = std::uniform_int_distribution<int>(0, 99)(rng);
        const std::size_t i = rng() % kStations;
        if (what < 50) h.answer(i);
        else if (what < 75) h.vehicle(i, statuses[rng() % 5]);
        else if (what < 85) h.meter(std::uniform_int_distribution<int>(0, 40)(rng));
        else if (what < 92) h.site->tick(), h.run();
        else h.reload();
    }
    // Every station now answers everything, accepting: each must end at its target.
    for (int round = 0; round < 50; ++round) {
        for (std::size_t i = 0; i < kStations; ++i)
            while (!h.world.stations[i].pending.empty()) h.answer(i, true);
        h.site->tick();
        h.run();
    }
    for (std::size_t i = 0; i < kStations; ++i) {
        const auto& s = h.site->model().state.stations[i];
        const auto& target = h.site->target().stations[i].target;
        if (s.control == policy::Control::Rejected || !target) continue;  // counted at capacity, not allocated
        const double held = h.world.stations[i].held.value_or(-1);
        if (std::abs(held - target->amps()) > 1e-9)
            h.world.failures.push_back("S" + std::to_string(i) + " holds " + std::to_string(held) + " A, its target is " +
                                       std::to_string(target->amps()) + " A");
    }
    INFO("seed ", seed, " (replay: FUSEGUARD_PLAN_SEED=", seed, ")");
    const std::string first = h.world.failures.empty() ? "" : h.world.failures.front();
    INFO(h.world.failures.size(), " failures, the first: ", first);
    CHECK(h.world.failures.empty());
    if (!h.world.failures.empty() && std::getenv("FUSEGUARD_PLAN_SEED"))
        for (const auto& t : h.world.trace) std::fprintf(stderr, "%s\n", t.c_str());
}

}  // namespace

TEST_SUITE("Controller") {
    TEST_CASE("plan execution over random event orders: lower before raise, and every station ends at its target") {
        if (const char* s = std::getenv("FUSEGUARD_PLAN_SEED")) {
            run_seed(static_cast<std::uint32_t>(std::strtoul(s, nullptr, 10)), 400);
            return;
        }
        // Fixed seeds, so that CI is repeatable; FUSEGUARD_PLAN_SEED tries others.
        for (std::uint32_t seed = 1; seed <= 200; ++seed) run_seed(seed, 400);
    }
}

// The raise hold (SiteController::raise_held) in its two cases, with a total
// meter whose reading holds each station's draw: a station lowered since its
// last report waits for a report drawn under its lower limit; a station
// lowered for being idle that has a vehicle again does not wait (issue 19).
TEST_SUITE("Controller") {
    TEST_CASE("a total meter: a station lowered while charging is raised again once it reports, a new vehicle at once") {
        Harness h(1, "total");
        const auto sent = [&h] { return h.world.stations[0].pending; };
        const auto answer_all = [&h] {
            while (!h.world.stations[0].pending.empty()) h.answer(0, true);
        };
        h.meter(10);
        h.station(ocpp::StationConnected{"S0", ocpp::Version::V16});
        h.vehicle(0, "Charging");
        answer_all();
        REQUIRE(h.world.stations[0].held == 32);
        h.report(0, 30);
        // 10 A of other loads and the car's 30. Completed 2 s on: a first
        // report this soon after the station's first limit counts, like a
        // rise, from a reading a second after it (its car may have only
        // just started).
        h.meter(40, {}, std::chrono::seconds(2));
        // The building takes 45 A more: 100 - 55, less 6 A for each station
        // not connected, leaves 21 A.
        h.meter(85);
        REQUIRE(sent() == std::deque<double>{21});
        answer_all();
        // It drops again before the car has reported under its 21 A: the
        // reading, taken with the car's report capped at 21 A, leaves 32 A,
        // and the raise waits for a report.
        h.meter(40);
        CHECK(h.site->target().stations[0].target == policy::Amps::whole(32));
        CHECK(sent().empty());
        h.report(0, 20.5);
        h.meter(30.5);
        CHECK(sent() == std::deque<double>{32});
        answer_all();
        SUBCASE("a vehicle that stops, and a new one at once, before the 0 A is answered") {
            h.vehicle(0, "Available");
            REQUIRE(sent() == std::deque<double>{0});
            h.vehicle(0, "Preparing");
            h.report(0, 0);
            h.vehicle(0, "Charging");
            h.answer(0, true);
            // The last reading holds the old vehicle's 20.5 A and the new
            // one reports 0 A: up to 20.5 A of other loads may be hidden
            // there until a reading holds the report, and the raise waits.
            CHECK(sent().empty());
            h.meter(10, {}, std::chrono::seconds(2));
            CHECK(sent() == std::deque<double>{32});
        }
        SUBCASE("a station paused for want of room waits for a report before it starts again") {
            // Paused, its vehicle stops and the station says so
            // (SuspendedEVSE), which drops its report. Started again before
            // it reports, its vehicle's draw reads as other loads until it
            // does and pauses it again: with cars that follow at once,
            // bench_efficiency saw a start and a pause every second, and
            // the site over its fuse at instants.
            // 74.5 A of other loads: under its 6 A minimum. Completed two
            // seconds on, so that it holds the 20.5 A report: one completed
            // at once may still hold the 30 A before it.
            h.meter(95, {}, std::chrono::seconds(2));
            REQUIRE(sent() == std::deque<double>{0});
            answer_all();
            h.vehicle(0, "SuspendedEVSE");
            h.meter(10);
            CHECK(h.site->target().stations[0].target == policy::Amps::whole(32));
            CHECK(sent().empty());
            h.report(0, 0);
            h.meter(10);
            CHECK(sent() == std::deque<double>{32});
        }
        SUBCASE("a vehicle that stops, and a new one once the 0 A is answered, with no report between") {
            h.vehicle(0, "Available");
            REQUIRE(sent() == std::deque<double>{0});
            h.answer(0, true);
            h.vehicle(0, "Preparing");
            h.vehicle(0, "Charging");
            // As above: the last reading may still hold the old vehicle's
            // draw, and the raise waits for one that does not.
            CHECK(sent().empty());
            h.meter(10, {}, std::chrono::seconds(2));
            CHECK(sent() == std::deque<double>{32});
        }
    }

    // Issue 17: which report a reading holds was decided on wall-clock times,
    // so a clock step changed which reports counted.
    TEST_CASE("a total meter: a wall clock stepped an hour changes nothing about which reports count") {
        Harness h(1, "total");
        h.meter(10);
        h.station(ocpp::StationConnected{"S0", ocpp::Version::V16});
        h.vehicle(0, "Charging");
        while (!h.world.stations[0].pending.empty()) h.answer(0, true);
        h.report(0, 10);
        h.meter(20, {}, std::chrono::seconds(2));  // a first report this soon after the first limit: a second later
        REQUIRE(h.site->model().state.stations[0].measured_peak() == policy::Amps::whole(10));
        h.report(0, 20);  // a rise: it waits for a reading completed a second after it
        auto step = std::chrono::hours(1);
        SUBCASE("forward") {}
        SUBCASE("back") { step = -step; }
        h.meter(30, step);  // at once by the monotonic clock: too soon to hold the rise
        CHECK(h.site->model().state.stations[0].measured_peak() == policy::Amps::whole(10));
        h.meter(30, step, std::chrono::milliseconds(1500));  // 1.5 s later: it holds the rise
        CHECK(h.site->model().state.stations[0].measured_peak() == policy::Amps::whole(20));
    }
}

// --view shows each station's failsafe, and why one is not verified.
TEST_SUITE("Controller") {
    TEST_CASE("--view shows each station's failsafe state and why it is not verified, and its CSMS link") {
        Harness h(1);
        h.station(ocpp::FailsafeChecked{"S1", ocpp::FailsafeVerdict::Unverified, "it answered GetCompositeSchedule with Rejected"});
        h.station(ocpp::BackendLinkChanged{"S0", "offline", "refused the connection: HTTP 401", 3});
        const std::string view = render_view(*h.site);
        INFO(view);
        const auto row = [&view](const std::string& id) {
            const auto at = view.find("\n  " + id + " ");
            return at == std::string::npos ? std::string() : view.substr(at + 1, view.find('\n', at + 1) - at - 1);
        };
        CHECK(row("S0").find(" verified ") != std::string::npos);
        CHECK(row("S1").find(" unverified ") != std::string::npos);
        CHECK(view.find("failsafe: it answered GetCompositeSchedule with Rejected") != std::string::npos);
        // Its link to the CSMS (local controller).
        CHECK(view.find("csms: offline (refused the connection: HTTP 401), 3 messages waiting") != std::string::npos);
        // Offline, the unverified one counts at its capacity.
        CHECK(view.find("charger:S1 unknown, fallback not verified -> capacity 32 A") != std::string::npos);
    }
}
