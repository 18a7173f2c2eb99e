// Liveness over time on a real bus thread against a real server.
#include <doctest/doctest.h>

#include <condition_variable>
#include <deque>
#include <mutex>

#include "device_config.hpp"
#include "drivers/modbus/bus.hpp"
#include "test_server.hpp"

using namespace fuseguard;
using namespace fuseguard::modbus;
using namespace std::chrono_literals;

namespace {

// Events from the bus thread, waited on with deadlines.
class Events {
public:
    EventSink sink() {
        return [this](DeviceEvent e) {
            std::lock_guard lock(mutex_);
            seen_.push_back({std::move(e), Clock::now()});
            cv_.notify_all();
        };
    }
    struct Seen {
        DeviceEvent event;
        Clock::time_point at;
    };
    // The first event after index `from` that matches, within the deadline.
    std::optional<std::pair<std::size_t, Seen>> wait(const std::function<bool(const DeviceEvent&)>& match,
                                                     std::chrono::milliseconds deadline, std::size_t from = 0) {
        std::unique_lock lock(mutex_);
        std::optional<std::pair<std::size_t, Seen>> found;
        cv_.wait_for(lock, deadline, [&] {
            for (std::size_t i = from; i < seen_.size(); ++i)
                if (match(seen_[i].event)) return found.emplace(i, seen_[i]), true;
            return false;
        });
        return found;
    }
    std::size_t size() {
        std::lock_guard lock(mutex_);
        return seen_.size();
    }
    int readings_of(const std::string& id, std::size_t from = 0) {
        std::lock_guard lock(mutex_);
        return count_readings(id, from);
    }
    // True once `id` has given `n` readings after index `from`.
    bool wait_readings(const std::string& id, int n, std::chrono::milliseconds deadline, std::size_t from) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, deadline, [&] { return count_readings(id, from) >= n; });
    }
    std::optional<Clock::time_point> last_reading_before(const std::string& id, std::size_t index) {
        std::lock_guard lock(mutex_);
        for (std::size_t i = index; i-- > 0;)
            if (seen_[i].event.id == id && seen_[i].event.reading) return seen_[i].at;
        return std::nullopt;
    }

private:
    int count_readings(const std::string& id, std::size_t from) const {
        int n = 0;
        for (std::size_t i = from; i < seen_.size(); ++i) n += seen_[i].event.id == id && seen_[i].event.reading;
        return n;
    }
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<Seen> seen_;
};

auto went(const std::string& id, DeviceState to) {
    return [id, to](const DeviceEvent& e) { return e.id == id && e.transition && e.transition->to == to; };
}

config::PolledDevice fast_meter(std::string id, std::uint16_t port, double offline_after_s = 0.6) {
    auto d = test::tcp_device(std::move(id), port, 1, 0.2);
    d.registers["current_a"] = test::per_phase(100, config::RegisterType::Uint16, 0.1);
    d.poll_interval_s = 0.1;
    d.offline_after_s = offline_after_s;
    return d;
}

}  // namespace

TEST_SUITE("Bus") {
    TEST_CASE("unknown -> online / offline after offline_after_s and not before / online again after a restart") {
        test::TestModbusServer server;
        server.set_holding(100, {100, 200, 300});
        Events events;
        Bus bus(fast_meter("m", server.port()).modbus, events.sink());
        bus.add(DeviceReader(DeviceKind::Meter, fast_meter("m", server.port()), 2500));
        bus.start();

        auto online = events.wait(went("m", DeviceState::Online), 3s);
        REQUIRE(online);
        CHECK(online->second.event.transition->from == DeviceState::Unknown);
        REQUIRE(online->second.event.reading);
        CHECK(online->second.event.reading->current_a[1] == doctest::Approx(20.0));

        server.stop();
        auto offline = events.wait(went("m", DeviceState::Offline), 5s, online->first);
        REQUIRE(offline);
        const auto last_good = events.last_reading_before("m", offline->first);
        REQUIRE(last_good);
        CHECK(offline->second.at - *last_good >= 600ms);  // not before offline_after_s
        CHECK(offline->second.event.transition->cause.find("no good reading for 0.6 s") != std::string::npos);

        server.start();
        auto back = events.wait(went("m", DeviceState::Online), 15s, offline->first);
        REQUIRE(back);
        CHECK(back->second.event.transition->from == DeviceState::Offline);
        bus.stop();
    }

    TEST_CASE("a device that hangs costs only its own bus: another bus keeps polling") {
        test::TestModbusServer slow, fast;
        slow.set_delay(1500ms);
        Events events;
        auto slow_dev = fast_meter("slow", slow.port());
        slow_dev.modbus.timeout_s = 1.0;
        Bus slow_bus(slow_dev.modbus, events.sink());
        slow_bus.add(DeviceReader(DeviceKind::Meter, slow_dev, 2500));
        Bus fast_bus(fast_meter("fast", fast.port()).modbus, events.sink());
        fast_bus.add(DeviceReader(DeviceKind::Meter, fast_meter("fast", fast.port()), 2500));
        slow_bus.start();
        fast_bus.start();
        REQUIRE(events.wait(went("fast", DeviceState::Online), 3s));
        const std::size_t mark = events.size();
        // Wait for ten more readings from the fast bus: at 10 Hz, about a
        // second, during which the slow bus is stuck in its timeout.
        REQUIRE(events.wait_readings("fast", 10, 5s, mark));
        CHECK(events.readings_of("slow") == 0);
        slow_bus.stop();
        fast_bus.stop();
    }

    TEST_CASE("devices are grouped into one bus per line") {
        config::Config cfg;
        cfg.site.fuse_limit_a = 100;
        config::MeterConfig a, b, c;
        static_cast<config::PolledDevice&>(a) = fast_meter("a", 1502);
        static_cast<config::PolledDevice&>(b) = fast_meter("b", 1502);
        b.modbus.unit_id = 2;
        static_cast<config::PolledDevice&>(c) = fast_meter("c", 1503);
        cfg.meters = {a, b, c};
        auto buses = make_buses(cfg, [](DeviceEvent) {});
        CHECK(buses.size() == 2);
    }
}
