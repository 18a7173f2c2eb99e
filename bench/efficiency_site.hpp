#pragma once
// The physical site bench_efficiency runs fuseguard's controller against,
// in simulated time: a building load that steps, and cars that follow the
// limit their station offers as real ones do (a raise after 3-6 s, a
// lowering within 1-2 s, a little below what is offered), some 1-phase on
// 3-phase stations, some that want less at first and more later. Knows
// nothing of fuseguard: limits come in, draws and readings go out.
// Deterministic for a seed.
#include <array>
#include <deque>
#include <optional>
#include <random>
#include <vector>

namespace fuseguard::bench {

using Phases3 = std::array<double, 3>;

// What the cars do, to see what each of their ways costs (the defaults
// are the real ones; bench_efficiency reads EFFICIENCY_CARS).
struct CarBehaviour {
    bool draw_below_offer = true;  // 0.1-0.6 A under what is offered
    bool delays = true;            // a raise after 3-6 s, a lowering within 1-2 s
    double least_offer_a = 6;      // IEC 61851-1: below this a car does not charge
};

struct SiteShape {
    double fuse_a = 100;                      // per phase, the site connection
    std::array<double, 3> building_base_a{25, 30, 20};
    double building_step_every_s = 300;       // mean time between steps
    double station_max_a = 32;
    int stations = 12;
    CarBehaviour cars;
};

// One car at a station. Terminal phases: a 1-phase car draws on the
// station's L1 only.
struct Car {
    int phases = 3;
    double max_a = 16;           // per phase, what its on-board charger takes
    double below_offer_a = 0.3;  // it draws this far below what it is offered
    double need_ah = 0;          // amp-hours per phase still to charge at full rate
    double slow_for_s = 0;       // wants only slow_a until then (a cold battery)
    double slow_a = 0;
    double leaves_after_s = 0;   // plugged in for this long
    double raise_delay_s = 4, lower_delay_s = 1.5;
    double setpoint_a = 0;       // what it follows now
    // Offers it has seen and not followed yet: (when it follows, value).
    std::deque<std::pair<double, double>> pending;
};

class EfficiencySite {
public:
    EfficiencySite(const SiteShape& shape, unsigned seed);

    // The station received a new limit now: its car follows after its delay.
    void offer(int station, double amps, double now_s);
    // Advances cars, building and arrivals to now_s (steps of dt_s).
    void step(double now_s, double dt_s);

    struct StationView {
        bool car = false;
        bool wants = false;        // the car still wants current
        Phases3 terminal_a{};      // what it draws, per station terminal
        double offered_a = 0;      // its limit as the station applies it
        double wanted_a = 0;       // the most the car would take now, per phase
        int car_phases = 3;
    };
    const StationView& station(int i) const { return views_[static_cast<std::size_t>(i)]; }
    int stations() const { return shape_.stations; }
    // Site phases: station i's terminal Lk is on site phase (k + rotation(i)) % 3.
    int rotation(int i) const { return i % 3; }
    const Phases3& building() const { return building_; }
    Phases3 total() const;               // building + every station, per site phase
    // When the building's load last stepped up, for telling apart an
    // instant over the fuse that a step explains.
    double building_rose_at() const { return building_rose_at_; }
    // The most the cars could draw together now under the fuse (less
    // `margin_a`) and their own maxima: the physical ideal, per second.
    double ideal_a(double margin_a) const;
    double drawn_a() const;  // what the cars draw now, summed over phases

private:
    Car new_car();
    double uniform(double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng_); }

    SiteShape shape_;
    std::mt19937 rng_;
    std::vector<std::optional<Car>> cars_;
    std::vector<double> next_arrival_s_;
    std::vector<StationView> views_;
    Phases3 building_{}, building_level_{};
    double next_building_step_s_ = 0, building_rose_at_ = -1e9;
};

}  // namespace fuseguard::bench
