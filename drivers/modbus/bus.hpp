#pragma once
// One Modbus line (a serial port or a TCP endpoint) and the devices on it.
// libmodbus blocks, so each bus has its own worker thread; requests on one
// bus are serialised, buses poll independently, and results leave through
// a sink (the controller posts them onto its io_context).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "client.hpp"
#include "device_reader.hpp"
#include "liveness.hpp"

namespace fuseguard::modbus {

struct DeviceEvent {
    DeviceKind kind = DeviceKind::Meter;
    std::string id;
    std::optional<Reading> reading;        // a good reading
    std::optional<Transition> transition;  // a change of liveness
    std::chrono::system_clock::time_point at;       // for people: the `ts` published
    std::chrono::steady_clock::time_point at_mono;  // for comparing with other events: no clock step moves it
};

// Called on the bus's own thread: must be quick and thread-safe.
using EventSink = std::function<void(DeviceEvent)>;

// Devices' liveness by kind and id (ids are unique within a kind).
using DeviceLiveness = std::map<std::pair<DeviceKind, std::string>, Liveness>;

class Bus {
public:
    Bus(const config::ModbusConfig& transport, EventSink sink);
    ~Bus();
    Bus(const Bus&) = delete;
    Bus& operator=(const Bus&) = delete;

    // `before`: the device's liveness on the bus this one replaces.
    void add(DeviceReader reader, const Liveness* before = nullptr);
    void start();
    void stop();  // joins the thread; a request in flight finishes within its timeout
    const std::string& name() const { return client_.name(); }
    // The liveness of each of its devices; only once stopped.
    DeviceLiveness liveness() const;

    // Reads attempted per device ("meter:grid"), good and failed, since the
    // bus started; safe from any thread (for /metrics).
    struct ReadCounts {
        std::uint64_t good = 0;
        std::uint64_t failed = 0;
    };
    std::map<std::string, ReadCounts> read_counts() const;

private:
    struct Device {
        DeviceReader reader;
        Liveness liveness;
        Clock::duration interval;
        Clock::time_point due;
    };
    void run();
    void poll(Device& d, Clock::time_point now);
    void emit(const Device& d, std::optional<Reading> reading, std::optional<Transition> t);

    Client client_;
    EventSink sink_;
    std::vector<Device> devices_;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    // Reconnection backoff: 0.5 s doubling to 10 s; meanwhile devices age.
    Clock::duration backoff_ = std::chrono::milliseconds(500);
    Clock::time_point reconnect_at_{};
    mutable std::mutex counts_mutex_;
    std::map<std::string, ReadCounts> counts_;
};

// Every meter and EMS of the configuration, grouped into buses by transport;
// a device in `before` (from the buses of the previous configuration) goes
// on with the liveness it had there.
std::vector<std::unique_ptr<Bus>> make_buses(const config::Config& cfg, const EventSink& sink,
                                             const DeviceLiveness& before = {});

// A key naming the physical line a device is on.
std::string bus_key(const config::ModbusConfig& m);

}  // namespace fuseguard::modbus
