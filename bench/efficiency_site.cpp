#include "efficiency_site.hpp"

#include <algorithm>

namespace fuseguard::bench {

namespace {
// Near full a battery takes less: the last this many amp-hours taper.
constexpr double kTaperAh = 2;
}  // namespace

EfficiencySite::EfficiencySite(const SiteShape& shape, unsigned seed)
    : shape_(shape),
      rng_(seed),
      cars_(static_cast<std::size_t>(shape.stations)),
      next_arrival_s_(static_cast<std::size_t>(shape.stations)),
      views_(static_cast<std::size_t>(shape.stations)) {
    building_level_ = shape.building_base_a;
    building_ = building_level_;
    next_building_step_s_ = uniform(0.5, 1.5) * shape.building_step_every_s;
    // Half the bays are taken when the run starts; the others fill up.
    for (std::size_t i = 0; i < cars_.size(); ++i)
        next_arrival_s_[i] = i % 2 == 0 ? 0 : uniform(0, 1800);
}

Car EfficiencySite::new_car() {
    Car c;
    const double kind = uniform(0, 1);
    if (kind < 0.45) c.phases = 3, c.max_a = 16;
    else if (kind < 0.6) c.phases = 3, c.max_a = 32;
    else if (kind < 0.8) c.phases = 1, c.max_a = 32;
    else c.phases = 1, c.max_a = 16;
    c.below_offer_a = uniform(0.1, 0.6);
    c.need_ah = c.max_a * uniform(0.5, 3.0);
    c.leaves_after_s = uniform(1.5, 5.0) * 3600;
    if (uniform(0, 1) < 0.25) {
        c.slow_for_s = uniform(300, 1200);
        c.slow_a = c.max_a * uniform(0.3, 0.6);
    }
    c.raise_delay_s = uniform(3, 6);
    c.lower_delay_s = uniform(1, 2);
    // Drawn all the same, so that a seed's cars come and go alike.
    if (!shape_.cars.draw_below_offer) c.below_offer_a = 0;
    if (!shape_.cars.delays) c.raise_delay_s = c.lower_delay_s = 0;
    return c;
}

void EfficiencySite::offer(int station, double amps, double now_s) {
    auto& view = views_[static_cast<std::size_t>(station)];
    view.offered_a = amps;
    auto& car = cars_[static_cast<std::size_t>(station)];
    if (!car) return;
    const double pwm = amps >= shape_.cars.least_offer_a ? amps : 0;
    // Above what it follows now, the car takes its raise delay; a car
    // already on its way up to more gets to less no sooner (a car starting
    // from a pause is still starting). At or below, it lowers within its
    // lowering delay.
    double at = now_s + car->lower_delay_s;
    if (pwm > car->setpoint_a) {
        const bool rising_past = !car->pending.empty() && car->pending.back().second >= pwm;
        at = rising_past ? car->pending.back().first : now_s + car->raise_delay_s;
    }
    // A change overtakes one still on its way that was due later: the car
    // follows the latest offer.
    while (!car->pending.empty() && car->pending.back().first >= at) car->pending.pop_back();
    car->pending.emplace_back(at, pwm);
}

void EfficiencySite::step(double now_s, double dt_s) {
    if (now_s >= next_building_step_s_) {
        const bool all = uniform(0, 1) < 0.5;
        const auto one = static_cast<std::size_t>(uniform(0, 3)) % 3;
        for (std::size_t p = 0; p < 3; ++p) {
            if (!all && p != one) continue;
            const double level = std::max(0.0, shape_.building_base_a[p] + uniform(-15, 35));
            if (level > building_level_[p]) building_rose_at_ = now_s;
            building_level_[p] = level;
        }
        next_building_step_s_ = now_s + uniform(0.2, 1.8) * shape_.building_step_every_s;
    }
    std::normal_distribution<double> noise(0, 0.3);
    for (std::size_t p = 0; p < 3; ++p) building_[p] = std::max(0.0, building_level_[p] + noise(rng_));

    for (std::size_t i = 0; i < cars_.size(); ++i) {
        auto& car = cars_[i];
        auto& view = views_[i];
        if (!car && now_s >= next_arrival_s_[i]) {
            car = new_car();
            car->leaves_after_s += now_s;
            car->slow_for_s += now_s;
            // The station offers what it holds from the moment the car plugs in.
            offer(static_cast<int>(i), view.offered_a, now_s);
        }
        if (car && now_s >= car->leaves_after_s) {
            car.reset();
            next_arrival_s_[i] = now_s + uniform(300, 2400);
        }
        view.car = car.has_value();
        view.terminal_a = {};
        view.wanted_a = 0;
        view.wants = false;
        if (!car) continue;
        while (!car->pending.empty() && car->pending.front().first <= now_s) {
            car->setpoint_a = car->pending.front().second;
            car->pending.pop_front();
        }
        double wanted = now_s < car->slow_for_s ? car->slow_a : car->max_a;
        if (car->need_ah <= 0) wanted = 0;
        else if (car->need_ah < kTaperAh) wanted = std::max(4.0, wanted * car->need_ah / kTaperAh);
        wanted = std::min(wanted, shape_.station_max_a);
        const double draw = car->setpoint_a >= shape_.cars.least_offer_a
                                ? std::max(0.0, std::min(car->setpoint_a - car->below_offer_a, wanted))
                                : 0.0;
        car->need_ah -= draw * dt_s / 3600;
        view.wants = car->need_ah > 0;
        view.wanted_a = wanted;
        view.car_phases = car->phases;
        for (int k = 0; k < car->phases; ++k) view.terminal_a[static_cast<std::size_t>(k)] = draw;
    }
}

Phases3 EfficiencySite::total() const {
    Phases3 out = building_;
    for (int i = 0; i < shape_.stations; ++i)
        for (int k = 0; k < 3; ++k)
            out[static_cast<std::size_t>((k + rotation(i)) % 3)] += views_[static_cast<std::size_t>(i)].terminal_a[static_cast<std::size_t>(k)];
    return out;
}

double EfficiencySite::drawn_a() const {
    double sum = 0;
    for (const auto& v : views_)
        for (double a : v.terminal_a) sum += a;
    return sum;
}

// Every amp on every phase is worth the same, so the most the cars can draw
// together gives the 3-phase cars (which load all phases alike) as much as
// the tightest phase allows, and the 1-phase cars what each phase has left.
// The cars' 6 A minimum is ignored: this is an upper bound.
double EfficiencySite::ideal_a(double margin_a) const {
    Phases3 budget{};
    for (std::size_t p = 0; p < 3; ++p) budget[p] = std::max(0.0, shape_.fuse_a - margin_a - building_[p]);
    double three = 0;
    Phases3 one{};
    for (int i = 0; i < shape_.stations; ++i) {
        const auto& v = views_[static_cast<std::size_t>(i)];
        if (!v.car || v.wanted_a <= 0) continue;
        if (v.car_phases == 3) three += v.wanted_a;
        else one[static_cast<std::size_t>(rotation(i))] += v.wanted_a;
    }
    const double x = std::min(three, *std::min_element(budget.begin(), budget.end()));
    double ideal = 3 * x;
    for (std::size_t p = 0; p < 3; ++p) ideal += std::min(budget[p] - x, one[p]);
    return ideal;
}

}  // namespace fuseguard::bench
