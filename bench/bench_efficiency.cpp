// Efficiency (SPEC 10, issue 16): fuseguard's controller, unchanged, runs a
// simulated 100 A site with 12 stations in simulated time (four hours in a
// few seconds), against cars that follow limits with real delays. What the
// stations are told goes to the simulated station, which applies it and
// answers; what the stations report and the meter reads goes back as the
// drivers would post it. Measured, after a 10-minute warm-up:
//   energy_ratio        what the cars drew / the physical ideal under the fuse
//                       less the safety margin (efficiency_site.cpp)
//   estimate_bias_a     the controller's non-EV load at the root minus the
//   estimate_abs_a      truth, mean and mean absolute, per phase and second
//   writes_per_st_h     limits sent per station and hour (each is one
//                       SetChargingProfile with the default purpose)
//   pauses_per_st_h     a car that wanted current put to 0 A
//   over_fuse_s         time any phase was over the fuse; over_unexplained_s
//                       the part more than 5 s after a building step up;
//                       worst_over_a and worst_unexplained_a how far over
// Run: build/bench/bench_efficiency (docs/BENCHMARKS.md).
#include <benchmark/benchmark.h>

#include <boost/asio/io_context.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>

#include "config/load.hpp"
#include "controller/site_controller.hpp"
#include "drivers/log.hpp"
#include "efficiency_site.hpp"

using namespace fuseguard;
using bench::EfficiencySite;

namespace {

constexpr double kDt = 0.1;            // simulated step, s
constexpr double kRun = 4 * 3600;      // simulated time per run, s
constexpr double kWarmUp = 600;        // not measured
constexpr double kMargin = 2;          // the site's safety_margin_a
constexpr double kLatency = 0.05;      // one way, fuseguard <-> station
// MeterValues interval, s: what fuseguard asks for, or EFFICIENCY_REPORT.
const double kReportEvery = std::getenv("EFFICIENCY_REPORT") ? std::atof(std::getenv("EFFICIENCY_REPORT")) : 10;
constexpr double kExplainedFor = 5;    // an overshoot this soon after a building step is the step's

std::string site_yaml(bool total_meter, int stations) {
    std::string y = "site: { id: bench, fuse_limit_a: 100, safety_margin_a: " + std::to_string(kMargin) + " }\n";
    y += "meters:\n  - id: grid\n    measures: ";
    y += total_meter ? "total\n" : "non_ev\n";
    y += "    modbus: { host: 127.0.0.1, port: 1502 }\n    profile: eastron-sdm630\n"
         "    poll_interval_s: 1\n    offline_after_s: 5\n    fallback_a: 40\n";
    y += "chargers:\n";
    const char* rotations[] = {"L1L2L3", "L2L3L1", "L3L1L2"};
    for (int i = 0; i < stations; ++i)
        y += "  - { id: CP" + std::to_string(i) + ", phases: 3, phase_rotation: " + rotations[i % 3] +
             ", max_current_a: 32, fallback_current_a: 6 }\n";
    y += "ocpp: { listen: 127.0.0.1:0 }\nstate_dir: /tmp\n";
    // EFFICIENCY_POLICY adds policy settings, to see what each costs
    // (e.g. "calm_step_a: 0, reclaim_margin_a: 1").
    if (const char* extra = std::getenv("EFFICIENCY_POLICY")) y += std::string("policy: { ") + extra + " }\n";
    return y;
}

// EFFICIENCY_CARS changes how the cars behave, to see what each way of
// theirs costs: "exact" (they draw what they are offered), "instant" (they
// follow a limit at once), "least=N" (they charge from N A; give fuseguard
// the same minimum with EFFICIENCY_POLICY="min_current_a: N").
bench::CarBehaviour cars_from_env() {
    bench::CarBehaviour cars;
    const char* env = std::getenv("EFFICIENCY_CARS");
    if (!env) return cars;
    const std::string list = env;
    if (list.find("exact") != std::string::npos) cars.draw_below_offer = false;
    if (list.find("instant") != std::string::npos) cars.delays = false;
    if (const auto at = list.find("least="); at != std::string::npos) cars.least_offer_a = std::atof(list.c_str() + at + 6);
    return cars;
}

// Things that happen later in simulated time: a limit reaching its
// station, an answer reaching fuseguard.
class Agenda {
public:
    void at(double t, std::function<void()> f) { items_.emplace(t, std::move(f)); }
    void run_until(double now) {
        while (!items_.empty() && items_.begin()->first <= now) {
            auto f = std::move(items_.begin()->second);
            items_.erase(items_.begin());
            f();
        }
    }

private:
    std::multimap<double, std::function<void()>> items_;
};

struct Figures {
    double drawn = 0, ideal = 0;
    double bias = 0, abs_error = 0;
    long samples = 0;
    long writes = 0, pauses = 0;
    std::map<std::string, long> writes_by_kind;  // EFFICIENCY_WRITES
    double over_s = 0, unexplained_s = 0, worst_over_a = 0, worst_unexplained_a = 0;
};

std::string status_of(const EfficiencySite::StationView& v) {
    if (!v.car) return "Available";
    if (!v.wants) return "SuspendedEV";
    return v.offered_a >= 6 ? "Charging" : "SuspendedEVSE";
}

Figures run_site(bool total_meter, unsigned seed) {
    bench::SiteShape shape;
    shape.cars = cars_from_env();
    EfficiencySite site(shape, seed);
    const auto loaded = config::load_string(site_yaml(total_meter, shape.stations), "bench.yaml");
    if (!loaded.config) throw std::runtime_error("bench_efficiency: the site's configuration does not load");
    const config::Config& cfg = *loaded.config;

    double now = 0;
    const auto steady0 = std::chrono::steady_clock::now();
    const auto wall0 = std::chrono::system_clock::now();
    auto steady = [&] { return steady0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(now)); };
    auto wall = [&] { return wall0 + std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::duration<double>(now)); };

    boost::asio::io_context io;
    controller::Catalogue catalogue;
    controller::UptimeTracker uptime(":memory:", wall0);
    Agenda agenda;
    Figures f;
    std::unique_ptr<controller::SiteController> ctl;
    std::vector<double> last_sent(static_cast<std::size_t>(shape.stations), -1e9);
    std::vector<double> last_amps(static_cast<std::size_t>(shape.stations), 0);
    // With EFFICIENCY_TRACE: what the controller took off the meter less
    // than the stations drew (L1, summed over readings), by how long before
    // the reading the station's limit last changed.
    std::array<double, 4> err_by_age{};
    static const double trace_from = std::getenv("EFFICIENCY_FROM") ? std::atof(std::getenv("EFFICIENCY_FROM")) : -1;
    static const double trace_for = std::getenv("EFFICIENCY_FOR") ? std::atof(std::getenv("EFFICIENCY_FOR")) : 15;
    auto in_window = [](double t) { return trace_from >= 0 && t >= trace_from && t < trace_from + trace_for; };
    auto id_of = [](int i) { return "CP" + std::to_string(i); };
    auto index_of = [](const std::string& id) { return std::stoi(id.substr(2)); };
    auto deliver = [&](ocpp::StationEvent e) { ctl->on_station_event(e); };
    ctl = std::make_unique<controller::SiteController>(
        io, cfg, catalogue, uptime,
        [&](const std::string& id, double amps) {
            const int i = index_of(id);
            if (now >= kWarmUp) {
                ++f.writes;
                const double was = last_amps[static_cast<std::size_t>(i)];
                const char* kind = was == 0 ? "start" : amps == 0 ? "pause" : amps < was ? (was - amps < 1 ? "lower < 1 A" : "lower >= 1 A")
                                                                                 : (amps - was < 1 ? "raise < 1 A" : "raise >= 1 A");
                ++f.writes_by_kind[kind];
            }
            last_amps[static_cast<std::size_t>(i)] = amps;
            last_sent[static_cast<std::size_t>(i)] = now;
            if (in_window(now)) {
                const auto& d = ctl->target().stations[static_cast<std::size_t>(i)];
                std::fprintf(stderr, "  %.1f send %s %.1f (%s)\n", now, id.c_str(), amps,
                             policy::describe(d, ctl->model().state.stations[static_cast<std::size_t>(i)], ctl->model().tree).c_str());
            }
            agenda.at(now + kLatency, [&, i, amps] { site.offer(i, amps, now); });
            agenda.at(now + 2 * kLatency, [&, id, amps] { deliver(ocpp::LimitAnswered{id, amps, true, "Accepted", false}); });
            return true;
        },
        [] {}, nullptr, controller::Clocks{steady, wall});

    // A station samples its draw and sends it.
    auto report = [&](int i) {
        const auto& v = site.station(i);
        if (!v.car) return;
        std::array<double, 3> a{};
        for (std::size_t k = 0; k < 3; ++k) a[k] = std::round(v.terminal_a[k] * 10) / 10;
        agenda.at(now + kLatency, [&, i, a] { deliver(ocpp::DrawMeasured{id_of(i), 1, a}); });
        if (in_window(now)) std::fprintf(stderr, "  %.1f report CP%d %.1f %.1f %.1f\n", now, i, a[0], a[1], a[2]);
    };
    // A station asked for its draw (TriggerMessage MeterValues) sends a
    // report a round trip later.
    if (!std::getenv("EFFICIENCY_NO_ASK"))
        ctl->ask_for_draw_with([&](const std::string& id, int) {
            agenda.at(now + kLatency, [&, i = index_of(id)] { report(i); });
        });
    for (int i = 0; i < shape.stations; ++i) deliver(ocpp::StationConnected{id_of(i), ocpp::Version::V16});
    std::vector<std::string> status(static_cast<std::size_t>(shape.stations));
    std::vector<bool> was_charging(static_cast<std::size_t>(shape.stations));
    bench::Phases3 metered_sum{};
    int metered_steps = 0;
    bool meter_online = false;
    static const bool trace = std::getenv("EFFICIENCY_TRACE") != nullptr;  // one line a minute on stderr
    const long steps = std::lround(kRun / kDt);
    for (long n = 0; n <= steps; ++n) {
        now = static_cast<double>(n) * kDt;
        site.step(now, kDt);
        agenda.run_until(now);
        const bool measuring = now >= kWarmUp;
        for (int i = 0; i < shape.stations; ++i) {
            const auto& v = site.station(i);
            auto& st = status[static_cast<std::size_t>(i)];
            if (const auto s = status_of(v); s != st) {
                st = s;
                deliver(ocpp::ConnectorStatusChanged{id_of(i), 1, s, "NoError", std::nullopt, std::nullopt});
            }
            // Each station samples on its own phase of the interval.
            const long every = std::lround(kReportEvery / kDt);
            if (v.car && (n + i * 7) % every == 0) report(i);
            const bool charging = v.offered_a >= 6;
            if (measuring && v.wants && was_charging[static_cast<std::size_t>(i)] && !charging) ++f.pauses;
            was_charging[static_cast<std::size_t>(i)] = charging;
        }
        // The meter averages over the second before it is read.
        const auto seen = total_meter ? site.total() : site.building();
        for (std::size_t p = 0; p < 3; ++p) metered_sum[p] += seen[p];
        ++metered_steps;
        const bool read_meter = n % 10 == 5;
        if (read_meter) {
            modbus::DeviceEvent e;
            e.kind = modbus::DeviceKind::Meter;
            e.id = "grid";
            modbus::Reading r;
            for (std::size_t p = 0; p < 3; ++p) r.current_a[p] = metered_sum[p] / metered_steps;
            e.reading = r;
            if (!meter_online) e.transition = modbus::Transition{policy::DeviceState::Unknown, policy::DeviceState::Online, "first good reading"};
            meter_online = true;
            e.at = wall();
            e.at_mono = steady();
            ctl->on_device_event(e);
            metered_sum = {};
            metered_steps = 0;
        }
        if (n % 10 == 0) ctl->tick();
        io.poll();
        io.restart();

        if (trace && (n % 600 == 0 || (in_window(now) && n % 5 == 0))) {
            std::fprintf(stderr, "t=%5.0f bld %4.1f %4.1f %4.1f tot %5.1f %5.1f %5.1f ideal %5.1f drawn %5.1f |", now,
                         site.building()[0], site.building()[1], site.building()[2], site.total()[0], site.total()[1],
                         site.total()[2], site.ideal_a(kMargin), site.drawn_a());
            for (int i = 0; i < shape.stations; ++i) {
                const auto& v = site.station(i);
                if (v.car) std::fprintf(stderr, " %dp w%.0f o%.1f d%.1f%s", v.car_phases, v.wanted_a, v.offered_a, v.terminal_a[0], v.wants ? "" : "F");
                else std::fprintf(stderr, " -");
            }
            std::fprintf(stderr, "\n");
        }
        if (!measuring) continue;
        f.drawn += site.drawn_a() * kDt;
        f.ideal += site.ideal_a(kMargin) * kDt;
        const auto total = site.total();
        bool over = false;
        for (double a : total) {
            if (a > shape.fuse_a) over = true;
            f.worst_over_a = std::max(f.worst_over_a, a - shape.fuse_a);
        }
        if (over) {
            f.over_s += kDt;
            if (now - site.building_rose_at() > kExplainedFor) {
                f.unexplained_s += kDt;
                for (double a : total) f.worst_unexplained_a = std::max(f.worst_unexplained_a, a - shape.fuse_a);
                if (trace)
                    std::fprintf(stderr, "over t=%.1f tot %.1f %.1f %.1f bld %.1f %.1f %.1f\n", now, total[0], total[1],
                                 total[2], site.building()[0], site.building()[1], site.building()[2]);
            }
        }
        if (read_meter && trace) {
            for (int i = 0; i < shape.stations; ++i) {
                const auto& m = ctl->model().state.stations[static_cast<std::size_t>(i)].measured;
                const double counted = m ? (*m)[0].amps() : 0.0;
                const double truth = site.station(i).terminal_a[0];
                const double age = now - last_sent[static_cast<std::size_t>(i)];
                err_by_age[age < 6 ? 0 : age < 15 ? 1 : age < 60 ? 2 : 3] += truth - counted;
            }
        }
        if (read_meter) {
            const auto figures = ctl->node_figures();
            if (in_window(now))
                std::fprintf(stderr, "  %.1f estimate %.1f %.1f %.1f truth %.1f %.1f %.1f\n", now, figures[0].non_ev[policy::Phase::L1].amps(),
                             figures[0].non_ev[policy::Phase::L2].amps(), figures[0].non_ev[policy::Phase::L3].amps(),
                             site.building()[0], site.building()[1], site.building()[2]);
            if (in_window(now) && std::getenv("EFFICIENCY_DRAWS"))
                for (int i = 0; i < shape.stations; ++i) {
                    const auto& st = ctl->model().state.stations[static_cast<std::size_t>(i)];
                    if (!st.measured) continue;
                    std::fprintf(stderr, "    CP%d measured %.1f %.1f %.1f most %.1f %.1f %.1f truth %.1f %.1f %.1f\n", i,
                                 (*st.measured)[0].amps(), (*st.measured)[1].amps(), (*st.measured)[2].amps(),
                                 st.measured_most[0].amps(), st.measured_most[1].amps(), st.measured_most[2].amps(),
                                 site.station(i).terminal_a[0], site.station(i).terminal_a[1], site.station(i).terminal_a[2]);
                }
            for (auto p : policy::kAllPhases) {
                const double err = figures[0].non_ev[p].amps() - site.building()[policy::index(p)];
                f.bias += err;
                f.abs_error += std::abs(err);
                ++f.samples;
            }
        }
    }
    if (trace)
        std::fprintf(stderr, "draw not counted (A, summed over readings) by age of last limit: <6s %.0f, 6-15s %.0f, 15-60s %.0f, older %.0f\n",
                     err_by_age[0], err_by_age[1], err_by_age[2], err_by_age[3]);
    return f;
}

void BM_Efficiency(benchmark::State& state) {
    const bool total_meter = state.range(0) == 1;
    const auto seed = static_cast<unsigned>(state.range(1));
    log::set_threshold(log::Level::Error);  // the product's log lines are not the figures
    Figures f;
    for (auto _ : state) f = run_site(total_meter, seed);
    const double station_hours = 12 * (kRun - kWarmUp) / 3600;
    state.counters["energy_ratio"] = f.drawn / f.ideal;
    state.counters["estimate_bias_a"] = f.bias / static_cast<double>(f.samples);
    state.counters["estimate_abs_a"] = f.abs_error / static_cast<double>(f.samples);
    state.counters["writes_per_st_h"] = static_cast<double>(f.writes) / station_hours;
    state.counters["pauses_per_st_h"] = static_cast<double>(f.pauses) / station_hours;
    state.counters["over_fuse_s"] = f.over_s;
    state.counters["over_unexplained_s"] = f.unexplained_s;
    state.counters["worst_over_a"] = std::max(0.0, f.worst_over_a);
    state.counters["worst_unexplained_a"] = f.worst_unexplained_a;
    state.SetLabel(total_meter ? "total meter" : "non_ev meter");
    if (std::getenv("EFFICIENCY_WRITES"))
        for (const auto& [kind, n] : f.writes_by_kind)
            std::fprintf(stderr, "  %s seed %u: %-13s %5.1f per station-hour\n", total_meter ? "total" : "non_ev", seed,
                         kind.c_str(), static_cast<double>(n) / station_hours);
}

}  // namespace

// Arguments: meter (0 non_ev, 1 total), seed.
BENCHMARK(BM_Efficiency)
    ->ArgNames({"total", "seed"})
    ->ArgsProduct({{0, 1}, {1, 2, 3}})
    ->Iterations(1)
    ->Unit(benchmark::kSecond);

BENCHMARK_MAIN();
