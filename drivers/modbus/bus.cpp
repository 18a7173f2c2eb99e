#include "bus.hpp"

#include <algorithm>
#include <map>

namespace fuseguard::modbus {

using config::seconds;

Bus::Bus(const config::ModbusConfig& transport, EventSink sink) : client_(transport), sink_(std::move(sink)) {}

Bus::~Bus() { stop(); }

void Bus::add(DeviceReader reader, const Liveness* before) {
    const auto& dev = reader.device();
    Device d{std::move(reader), Liveness(seconds(dev.offline_after_s)), seconds(dev.poll_interval_s), Clock::now()};
    if (before) d.liveness.resume(*before);
    devices_.push_back(std::move(d));
}

DeviceLiveness Bus::liveness() const {
    DeviceLiveness out;
    for (const auto& d : devices_) out.emplace(std::pair(d.reader.kind(), d.reader.device().id), d.liveness);
    return out;
}

void Bus::start() {
    if (thread_.joinable()) return;
    thread_ = std::thread([this] { run(); });
}

void Bus::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void Bus::emit(const Device& d, std::optional<Reading> reading, std::optional<Transition> t) {
    if (!reading && !t) return;
    sink_(DeviceEvent{d.reader.kind(), d.reader.device().id, std::move(reading), std::move(t),
                      std::chrono::system_clock::now(), std::chrono::steady_clock::now()});
}

void Bus::poll(Device& d, Clock::time_point now) {
    if (!client_.connected() && now < reconnect_at_) {
        // Backing off a dead line: no attempt, but the clock still runs.
        emit(d, std::nullopt, d.liveness.on_failure(now, d.liveness.last_error().empty()
                                                             ? "cannot connect to " + client_.name()
                                                             : d.liveness.last_error()));
        return;
    }
    const bool was_connected = client_.connected();
    ReadOutcome out = d.reader.read(client_);
    const auto after = Clock::now();
    if (!client_.connected()) {
        if (!was_connected) backoff_ = std::min<Clock::duration>(backoff_ * 2, std::chrono::seconds(10));
        reconnect_at_ = after + backoff_;
    } else {
        backoff_ = std::chrono::milliseconds(500);
    }
    {
        std::lock_guard lock(counts_mutex_);
        auto& c = counts_[std::string(prefix(d.reader.kind())) + ":" + d.reader.device().id];
        ++(out.reading ? c.good : c.failed);
    }
    if (out.reading) emit(d, out.reading, d.liveness.on_good(after));
    else emit(d, std::nullopt, d.liveness.on_failure(after, out.error));
}

std::map<std::string, Bus::ReadCounts> Bus::read_counts() const {
    std::lock_guard lock(counts_mutex_);
    return counts_;
}

void Bus::run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        auto next = std::min_element(devices_.begin(), devices_.end(),
                                     [](const Device& a, const Device& b) { return a.due < b.due; });
        if (next == devices_.end()) {
            wake_.wait(lock, [&] { return stopping_; });
            break;
        }
        if (Clock::now() < next->due) {
            wake_.wait_until(lock, next->due, [&] { return stopping_; });
            continue;
        }
        lock.unlock();  // never hold the lock across I/O: stop() must get in
        poll(*next, Clock::now());
        lock.lock();
        const auto now = Clock::now();
        next->due += next->interval;
        if (next->due < now) next->due = now + next->interval;  // late: skip, do not burst
    }
    client_.close();
}

std::string bus_key(const config::ModbusConfig& m) {
    if (const auto* tcp = std::get_if<config::TcpEndpoint>(&m.transport))
        return "tcp:" + tcp->host + ":" + std::to_string(tcp->port);
    return "rtu:" + std::get<config::SerialEndpoint>(m.transport).device;
}

std::vector<std::unique_ptr<Bus>> make_buses(const config::Config& cfg, const EventSink& sink,
                                             const DeviceLiveness& before) {
    std::map<std::string, std::unique_ptr<Bus>> buses;
    const double bound = 10 * cfg.site.fuse_limit_a;
    auto place = [&](DeviceKind kind, const config::PolledDevice& d) {
        auto& bus = buses[bus_key(d.modbus)];
        if (!bus) bus = std::make_unique<Bus>(d.modbus, sink);
        const auto was = before.find(std::pair(kind, d.id));
        bus->add(DeviceReader(kind, d, bound), was == before.end() ? nullptr : &was->second);
    };
    for (const auto& m : cfg.meters) place(DeviceKind::Meter, m);
    for (const auto& e : cfg.ems) place(DeviceKind::Ems, e);
    std::vector<std::unique_ptr<Bus>> out;
    for (auto& [key, bus] : buses) out.push_back(std::move(bus));
    return out;
}

}  // namespace fuseguard::modbus
