// The soak, part: stations and their cars, and what goes wrong with them.
#include "soak.hpp"

#include <thread>

namespace fuseguard::test::soak {

void Soak::reconnect_lost() {
    const auto now = Clock::now();
    for (auto& s : stations_) {
        if (!s.link) continue;
        if (!s.link->connected() && !s.reconnect_at)
            s.reconnect_at = now + std::chrono::milliseconds(std::uniform_int_distribution<int>(200, 2000)(rng_));
        if (s.reconnect_at && *s.reconnect_at <= now) connect_again(s);
    }
}

void Soak::connect_again(Station& s) {
    s.reconnect_at.reset();
    s.link->close();
    std::unique_ptr<AutoStation> fresh;
    try {
        fresh = std::make_unique<AutoStation>(s.id, ocpp_port_, s.link.get());
    } catch (const std::exception&) {
        s.reconnect_at = Clock::now() + 500ms;  // fuseguard is not there: try again
        return;
    }
    if (s.rejecting) fresh->set_answer("SetChargingProfile", "Rejected");
    if (s.slow) fresh->set_answer_delay("SetChargingProfile", kSlowAnswer);
    fresh->boot();
    if (std::exchange(s.rebooting, false) && s.charging) {
        fresh->status(1, "Preparing");
        fresh->start_transaction();
        s.suspended = false;
        fresh->status(1, "Charging");
    } else {
        fresh->status(1, !s.charging ? "Available" : s.suspended ? "SuspendedEVSE" : "Charging");
    }
    std::unique_ptr<AutoStation> old;
    {
        std::lock_guard lock(stations_mutex_);
        old = std::exchange(s.link, std::move(fresh));
    }
}

void Soak::drop_station() {
    auto& s = any_station();
    if (!s.link->connected() || s.reconnect_at || s.disobeying) return;
    s.link->close();
    // Mostly back within seconds; a third stay away past their failsafe
    // step-down (5 s after the last renewal, plus the vehicle's response).
    const bool long_gone = std::uniform_int_distribution<int>(0, 2)(rng_) == 0;
    s.reconnect_at = Clock::now() + std::chrono::milliseconds(long_gone ? std::uniform_int_distribution<int>(8000, 20000)(rng_)
                                                                         : std::uniform_int_distribution<int>(300, 3000)(rng_));
}

void Soak::reboot_station() {
    auto& s = any_station();
    if (!s.link->connected() || s.reconnect_at || s.disobeying) return;
    if (s.charging) s.link->stop_transaction();
    s.link->close();
    s.rebooting = true;
    s.reconnect_at = Clock::now() + std::chrono::milliseconds(std::uniform_int_distribution<int>(2000, 10000)(rng_));
}

void Soak::silence_station() {
    auto& s = any_station();
    if (!s.link->connected() || s.reconnect_at || s.disobeying) return;
    s.link->go_deaf();  // connected, answering nothing: fuseguard must find it lost
    s.reconnect_at = Clock::now() + std::chrono::milliseconds(std::uniform_int_distribution<int>(1000, 6000)(rng_));
}

void Soak::reject_profiles() {
    auto& s = any_station();
    if (s.rejecting) return;
    s.rejecting = true;
    s.link->set_answer("SetChargingProfile", "Rejected");
    later(uniform(1, 5), [&s] {
        s.rejecting = false;
        s.link->set_answer("SetChargingProfile", "Accepted");
    });
}

void Soak::slow_profiles() {
    auto& s = any_station();
    if (s.slow) return;
    s.slow = true;
    s.link->set_answer_delay("SetChargingProfile", kSlowAnswer);
    later(uniform(2, 8), [&s] {
        s.slow = false;
        s.link->set_answer_delay("SetChargingProfile", 0ms);
    });
}

void Soak::disobey_profiles() {
    std::vector<Station*> candidates;
    for (auto& c : stations_)
        if (c.charging && !c.disobeying && c.link->connected() && !c.reconnect_at) candidates.push_back(&c);
    if (candidates.empty()) return;
    auto& s = *candidates[std::uniform_int_distribution<std::size_t>(0, candidates.size() - 1)(rng_)];
    ++disobeyed_;
    {
        std::lock_guard lock(stations_mutex_);
        s.disobeying = true;
    }
    const double seconds = uniform(8, 30);
    figures_ << "step " << step_ << ": " << s.id << " ignores its profiles for " << std::lround(seconds) << " s; "
             << (s.charging ? "its car takes " + std::to_string(std::lround(s.car_max_a)) + " A" : "no car")
             << ", it holds " << s.link->allowed_now(kCapacity) << " A\n";
    later(seconds, [this, &s] {
        std::lock_guard lock(stations_mutex_);
        s.disobeying = false;
    });
}

void Soak::garbage_from_station() {
    static const std::array<const char*, 6> kGarbage = {
        "not json", "[2]", R"([2,"g1","MeterValues",{"connectorId":"x"}])", R"([3,"nobody",{}])",
        R"([2,"g2","StatusNotification",{"connectorId":1,"status":"Exploding","errorCode":"NoError"}])",
        "[9,9,9,9,9,9,9,9]"};
    any_station().link->send_raw(kGarbage[std::uniform_int_distribution<std::size_t>(0, kGarbage.size() - 1)(rng_)]);
}

void Soak::car_comes_or_goes() {
    std::size_t busy = 0;
    for (const auto& s : stations_) busy += s.charging;
    auto& s = any_station();
    if (!s.link->connected() || (!s.charging && busy >= busy_target_)) return;
    if (s.charging) {
        s.link->stop_transaction();
        s.link->status(1, "Available");
    } else {
        const double car_max_a = uniform(10, 32);
        std::lock_guard lock(stations_mutex_);  // the checker reads the car of a station that ignores its profiles
        s.car_max_a = car_max_a;
        s.suspended = false;
        s.link->status(1, "Preparing");
        s.link->start_transaction();
        s.link->status(1, "Charging");
    }
    std::lock_guard lock(stations_mutex_);
    s.charging = !s.charging;
}

void Soak::report_draw(Station& s) {
    if (!s.link->connected() || s.reconnect_at) return;
    const double offered = s.disobeying ? kCapacity : s.link->allowed_now(kCapacity);
    const double draws = s.charging && offered >= 6 ? std::min(offered, s.car_max_a) : 0;
    // Offered less than a car can take, the station says it suspended
    // the charge (SuspendedEVSE), and Charging again once offered enough.
    if (s.charging && (offered < 6) != s.suspended) {
        s.suspended = offered < 6;
        s.link->status(1, s.suspended ? "SuspendedEVSE" : "Charging");
    }
    s.link->send_meter_values(draws);
}

void Soak::report_ignoring() {
    for (auto& s : stations_)
        if (s.disobeying) report_draw(s);
}

}  // namespace fuseguard::test::soak
