// Modbus TCP over loopback: requests per second and latency of a 20-register
// read with our client, beside pymodbus's client and mbpoll in the same run;
// and the CPU our bus threads spend per device polled at 1 Hz.
#include <benchmark/benchmark.h>

#include <sys/resource.h>

#include <algorithm>
#include <sstream>
#include <thread>

#include "common/child_process.hpp"
#include "drivers/modbus/bus.hpp"
#include "modbus/test_server.hpp"

using namespace fuseguard;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

config::ModbusConfig loopback(std::uint16_t port) {
    config::ModbusConfig m;
    m.transport = config::TcpEndpoint{"127.0.0.1", port};
    return m;
}

void set_percentiles(benchmark::State& state, std::vector<double> us) {
    if (us.empty()) return;
    std::sort(us.begin(), us.end());
    state.counters["p50_us"] = us[us.size() / 2];
    state.counters["p99_us"] = us[us.size() * 99 / 100];
}

// Ours: one libmodbus connection, 20 holding registers per request.
void BM_Read20_fuseguard(benchmark::State& state) {
    test::TestModbusServer server;
    modbus::Client client(loopback(server.port()));
    if (auto err = client.connect(); !err.empty()) return state.SkipWithError(err.c_str());
    std::vector<double> us;
    us.reserve(1'000'000);
    for (auto _ : state) {
        const auto t0 = Clock::now();
        auto r = client.read(1, 1.0, {modbus::RegisterFunction::Holding, 0, 20});
        us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
        if (std::holds_alternative<modbus::ReadError>(r)) return state.SkipWithError("read failed");
    }
    state.counters["req_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
    set_percentiles(state, std::move(us));
}
BENCHMARK(BM_Read20_fuseguard)->UseRealTime()->MinTime(2.0);

// Peer: pymodbus's synchronous client against the same server, same read.
void BM_Read20_pymodbus(benchmark::State& state) {
    test::TestModbusServer server;
    for (auto _ : state) {
        test::ChildProcess peer({"/usr/bin/python3", FUSEGUARD_SOURCE_DIR "/bench/modbus_peer_client.py",
                                 std::to_string(server.port()), "5000"});
        if (peer.wait_exit(120s) != 0) return state.SkipWithError(peer.output().c_str());
        std::istringstream in(peer.output());
        double rps = 0, p50 = 0, p99 = 0;
        in >> rps >> p50 >> p99;
        state.counters["req_per_s"] = rps;
        state.counters["p50_us"] = p50;
        state.counters["p99_us"] = p99;
    }
}
BENCHMARK(BM_Read20_pymodbus)->Iterations(1)->UseRealTime();

// Peer: mbpoll, which polls at most every 10 ms, so only its per-run cost
// (start, connect, one 20-register read) compares.
void BM_Read20_mbpoll_oneshot(benchmark::State& state) {
    test::TestModbusServer server;
    std::vector<double> us;
    for (auto _ : state) {
        const auto t0 = Clock::now();
        auto [code, out] = test::run({"/usr/bin/mbpoll", "-m", "tcp", "-p", std::to_string(server.port()), "-a", "1",
                                      "-t", "4", "-r", "1", "-c", "20", "-1", "127.0.0.1"});
        us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
        if (code != 0) return state.SkipWithError(out.c_str());
    }
    set_percentiles(state, std::move(us));
}
BENCHMARK(BM_Read20_mbpoll_oneshot)->Iterations(50)->UseRealTime();

double cpu_seconds() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// N SDM630 meters (distinct unit ids on one gateway, served by pymodbus in
// its own process) polled at 1 Hz for 10 s: our process's CPU per device.
void BM_PollCpu(benchmark::State& state) {
    const int devices = static_cast<int>(state.range(0));
    test::ChildProcess server({"/usr/bin/python3", FUSEGUARD_SOURCE_DIR "/tests/modbus/pymodbus_server.py"});
    if (!server.wait_for("\n", 15s)) return state.SkipWithError("pymodbus server did not start");
    const auto port = static_cast<std::uint16_t>(std::stoi(server.output()));
    for (auto _ : state) {
        std::atomic<int> readings{0};
        modbus::Bus bus(loopback(port), [&](modbus::DeviceEvent e) { readings += e.reading.has_value(); });
        for (int i = 0; i < devices; ++i) {
            config::PolledDevice d;
            d.id = "m" + std::to_string(i);
            d.modbus = loopback(port);
            d.modbus.unit_id = 1 + i % 247;
            d.profile = "eastron-sdm630";
            d.poll_interval_s = 1;
            d.offline_after_s = 5;
            bus.add(modbus::DeviceReader(modbus::DeviceKind::Meter, d, 2500));
        }
        const double cpu0 = cpu_seconds();
        bus.start();
        std::this_thread::sleep_for(10s);
        bus.stop();
        const double cpu = cpu_seconds() - cpu0;
        state.counters["readings"] = readings.load();
        state.counters["cpu_us_per_reading"] = cpu * 1e6 / std::max(1, readings.load());
        state.counters["cpu_percent_of_core"] = cpu / 10.0 * 100.0;
    }
}
BENCHMARK(BM_PollCpu)->Arg(10)->Arg(100)->Iterations(1)->UseRealTime()->Unit(benchmark::kSecond);

}  // namespace

BENCHMARK_MAIN();
