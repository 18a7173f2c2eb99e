// Modbus RTU for real: a pseudo-terminal pair from socat, a libmodbus RTU
// server answering as unit 1 on one end, our bus on the other, polling
// unit 1 and a dead unit 2 on the same line.
#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include <poll.h>
#include <unistd.h>

#include "common/child_process.hpp"
#include "drivers/modbus/bus.hpp"

using namespace fuseguard;
using namespace fuseguard::modbus;
using namespace std::chrono_literals;

namespace {

class RtuServer {
public:
    RtuServer(const std::string& device, int unit) {
        ctx_ = modbus_new_rtu(device.c_str(), 115200, 'N', 8, 1);
        REQUIRE(ctx_);
        modbus_set_slave(ctx_, unit);
        REQUIRE(modbus_connect(ctx_) == 0);
        mapping_ = modbus_mapping_new_start_address(0, 0, 0, 0, 0, 200, 0, 0);
        mapping_->tab_registers[100] = 160;
        mapping_->tab_registers[101] = 170;
        mapping_->tab_registers[102] = 180;
        // Frames are cut by silence on the line, as a real meter does, and
        // only those for our unit are answered: a request for another unit
        // is simply not ours. (libmodbus's own server instead waits for the
        // other unit's answer, which a dead unit never sends.)
        thread_ = std::thread([this, unit] {
            const int fd = modbus_get_socket(ctx_);
            std::vector<std::uint8_t> frame;
            while (running_) {
                pollfd p{fd, POLLIN, 0};
                const int timeout_ms = frame.empty() ? 100 : 5;
                if (::poll(&p, 1, timeout_ms) > 0) {
                    std::uint8_t buf[256];
                    const ssize_t n = ::read(fd, buf, sizeof buf);
                    if (n > 0) frame.insert(frame.end(), buf, buf + n);
                    continue;
                }
                if (frame.size() >= 4 && frame[0] == unit)
                    modbus_reply(ctx_, frame.data(), static_cast<int>(frame.size()), mapping_);
                frame.clear();
            }
        });
    }
    ~RtuServer() {
        running_ = false;
        thread_.join();
        modbus_close(ctx_);
        modbus_free(ctx_);
        modbus_mapping_free(mapping_);
    }

private:
    modbus_t* ctx_ = nullptr;
    modbus_mapping_t* mapping_ = nullptr;
    std::atomic<bool> running_{true};
    std::thread thread_;
};

config::PolledDevice rtu_meter(std::string id, const std::string& device, int unit) {
    config::PolledDevice d;
    d.id = std::move(id);
    d.modbus.transport = config::SerialEndpoint{device, 115200, 'N', 8, 1};
    d.modbus.unit_id = unit;
    d.modbus.timeout_s = 0.2;
    config::RegisterConfig r;
    r.addresses = {100, 101, 102};
    r.scale = 0.1;
    r.per_phase = true;
    d.registers["current_a"] = r;
    d.poll_interval_s = 0.1;
    d.offline_after_s = 1;
    d.fallback_a = 50;
    return d;
}

}  // namespace

TEST_SUITE("Rtu") {
    TEST_CASE("two meters on one RTU line: the live one is online while the dead one never is") {
        char tmpl[] = "/tmp/fuseguard-rtu-XXXXXX";
        const std::filesystem::path dir = ::mkdtemp(tmpl);
        const std::string ours = (dir / "ours").string(), theirs = (dir / "theirs").string();
        test::ChildProcess socat({"/usr/bin/socat", "-d", "-d", "pty,raw,echo=0,link=" + ours,
                                  "pty,raw,echo=0,link=" + theirs});
        REQUIRE(socat.wait_for("starting data transfer loop", 5s));
        RtuServer server(theirs, 1);

        std::mutex mutex;
        std::vector<DeviceEvent> events;
        Bus bus(rtu_meter("live", ours, 1).modbus, [&](DeviceEvent e) {
            std::lock_guard lock(mutex);
            events.push_back(std::move(e));
        });
        bus.add(DeviceReader(DeviceKind::Meter, rtu_meter("live", ours, 1), 2500));
        bus.add(DeviceReader(DeviceKind::Meter, rtu_meter("dead", ours, 2), 2500));
        bus.start();

        auto count = [&](const std::string& id, bool readings) {
            std::lock_guard lock(mutex);
            int n = 0;
            for (const auto& e : events) n += e.id == id && (readings ? e.reading.has_value() : e.transition.has_value());
            return n;
        };
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (count("live", true) < 10 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(20ms);
        bus.stop();
        CHECK(count("live", true) >= 10);
        CHECK(count("dead", true) == 0);
        std::lock_guard lock(mutex);
        for (const auto& e : events) {
            if (e.id == "live" && e.transition) CHECK_MESSAGE(e.transition->to == DeviceState::Online, e.transition->cause);
            if (e.id == "live" && e.reading) CHECK(e.reading->current_a[2] == doctest::Approx(18.0));
        }
        std::filesystem::remove_all(dir);
    }
}
