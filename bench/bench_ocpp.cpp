// N stations sending MeterValues over loopback to fuseguard's OCPP endpoint,
// beside npm's ocpp-rpc RPCServer under the same load in the same run:
// server CPU, RSS and round-trip latency. Each server runs in its own
// process; the stations are async Beast clients in this one.
#include <benchmark/benchmark.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <sstream>

#include "common/child_process.hpp"
#include "common/proc_status.hpp"

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

using fuseguard::test::cpu_seconds;
using fuseguard::test::rss_kib;

namespace {

struct Load {
    std::vector<double> latency_ms;
    std::uint64_t sent = 0, answered = 0, failed = 0;
};

const std::string kMeter =
    R"(","MeterValues",{"connectorId":1,"meterValue":[{"timestamp":"2026-11-25T12:00:00Z","sampledValue":[{"value":"16.0","measurand":"Current.Import","phase":"L1","unit":"A"},{"value":"16.0","measurand":"Current.Import","phase":"L2","unit":"A"},{"value":"16.0","measurand":"Current.Import","phase":"L3","unit":"A"}]}]}])";

class Station : public std::enable_shared_from_this<Station> {
public:
    Station(net::io_context& io, Load& load, std::string id, std::chrono::milliseconds period, Clock::time_point end)
        : ws_(io), timer_(io), load_(load), id_(std::move(id)), period_(period), end_(end) {}

    void start(std::uint16_t port, std::chrono::milliseconds first) {
        beast::get_lowest_layer(ws_).expires_after(30s);
        beast::get_lowest_layer(ws_).async_connect(
            net::ip::tcp::endpoint{net::ip::make_address("127.0.0.1"), port},
            [self = shared_from_this(), first](beast::error_code ec) {
                if (ec) return void(++self->load_.failed);
                self->ws_.set_option(websocket::stream_base::decorator([](websocket::request_type& r) {
                    r.set(beast::http::field::sec_websocket_protocol, "ocpp1.6");
                }));
                self->ws_.async_handshake("127.0.0.1", "/ocpp/" + self->id_, [self, first](beast::error_code ec2) {
                    if (ec2) return void(++self->load_.failed);
                    beast::get_lowest_layer(self->ws_).expires_never();
                    self->read();
                    self->schedule(first);
                });
            });
    }

private:
    void schedule(std::chrono::milliseconds after) {
        timer_.expires_at(std::min(Clock::now() + after, end_));  // a long period ends with the run
        timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
            if (ec || Clock::now() >= self->end_) return self->close();
            self->send();
            self->schedule(self->period_);
        });
    }
    void send() {
        if (writing_) return;  // still answering the last one: skip a beat
        writing_ = true;
        msg_ = "[2,\"" + std::to_string(++seq_) + kMeter;
        sent_at_ = Clock::now();
        ++load_.sent;
        ws_.text(true);
        ws_.async_write(net::buffer(msg_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) ++self->load_.failed;
        });
    }
    void read() {
        ws_.async_read(buf_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return;
            // Only the answer to its MeterValues: fuseguard's own calls
            // (a TriggerMessage after 5 s) are not it.
            const std::string frame = beast::buffers_to_string(self->buf_.data());
            self->buf_.consume(self->buf_.size());
            if (self->writing_ && frame.rfind("[3,\"" + std::to_string(self->seq_) + "\"", 0) == 0) {
                self->load_.latency_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - self->sent_at_).count());
                ++self->load_.answered;
                self->writing_ = false;
            }
            self->read();
        });
    }
    void close() {
        beast::error_code ignored;
        beast::get_lowest_layer(ws_).socket().close(ignored);
    }

    websocket::stream<beast::tcp_stream> ws_;
    net::steady_timer timer_;
    beast::flat_buffer buf_;
    Load& load_;
    std::string id_, msg_;
    std::chrono::milliseconds period_;
    Clock::time_point end_, sent_at_;
    std::uint64_t seq_ = 0;
    bool writing_ = false;
};

// `server_cmd` is what the stations connect to. With `csms_cmd`, it is a
// relay to that CSMS: the CSMS starts first, and its port is appended to
// `server_cmd`.
void run_load(benchmark::State& state, std::vector<std::string> server_cmd,
              const std::vector<std::string>& csms_cmd = {}) {
    const int stations = static_cast<int>(state.range(0));
    const auto period = std::chrono::milliseconds(state.range(1));
    const auto duration = std::chrono::seconds(state.range(2));
    for (auto _ : state) {
        std::optional<fuseguard::test::ChildProcess> csms;
        if (!csms_cmd.empty()) {
            csms.emplace(csms_cmd);
            if (!csms->wait_for("\n", 20s)) return state.SkipWithError("CSMS did not start");
            server_cmd.push_back(std::to_string(std::stoi(csms->output())));
        }
        fuseguard::test::ChildProcess server(server_cmd);
        if (!server.wait_for("\n", 20s)) return state.SkipWithError("server did not start");
        const auto port = static_cast<std::uint16_t>(std::stoi(server.output()));
        net::io_context io;
        Load load;
        load.latency_ms.reserve(1'000'000);
        const auto ramp = 5s;  // connect everyone first, then measure
        const auto end = Clock::now() + ramp + duration;
        for (int i = 0; i < stations; ++i) {
            auto s = std::make_shared<Station>(io, load, "CP" + std::to_string(i), period, end);
            // Spread the stations' sends evenly over one period.
            s->start(port, ramp + period * i / stations);
        }
        double cpu0 = 0;
        net::steady_timer mark(io);
        mark.expires_after(ramp);
        mark.async_wait([&](beast::error_code) {
            cpu0 = cpu_seconds(server.pid());
            load = Load{{}, 0, 0, load.failed};
            load.latency_ms.reserve(1'000'000);
        });
        double cpu1 = 0, rss = 0;
        net::steady_timer done(io);
        done.expires_at(end);
        done.async_wait([&](beast::error_code) {
            cpu1 = cpu_seconds(server.pid());
            rss = static_cast<double>(rss_kib(server.pid())) / 1024.0;
        });
        io.run();
        auto& l = load.latency_ms;
        std::sort(l.begin(), l.end());
        state.counters["stations"] = stations;
        state.counters["msgs_per_s"] = static_cast<double>(load.answered) / static_cast<double>(duration.count());
        state.counters["server_cpu_pct"] = (cpu1 - cpu0) / static_cast<double>(duration.count()) * 100.0;
        state.counters["server_rss_mb"] = rss;
        state.counters["p50_ms"] = l.empty() ? 0 : l[l.size() / 2];
        state.counters["p99_ms"] = l.empty() ? 0 : l[l.size() * 99 / 100];
        state.counters["failed"] = static_cast<double>(load.failed);
        state.counters["unanswered"] = static_cast<double>(load.sent - load.answered);
        // A relay passes two frames per round trip: the call up, the answer down.
        if (csms) state.counters["cpu_us_per_frame"] = (cpu1 - cpu0) * 1e6 / std::max(1.0, 2.0 * static_cast<double>(load.answered));
    }
}

void BM_MeterValues_fuseguard(benchmark::State& state) {
    run_load(state, {FUSEGUARD_BINARY_DIR "/bench/ocpp_bench_server", std::to_string(state.range(0))});
}
void BM_MeterValues_ocpp_rpc(benchmark::State& state) {
    run_load(state, {"/usr/bin/env", "node", FUSEGUARD_SOURCE_DIR "/bench/ocpp_peer_server.mjs"});
}

// Local controller (SPEC 10): 1,000 stations' MeterValues every 10 s to a
// CSMS (ocpp-rpc), straight to it, through fuseguard, and through a bare
// relay on npm's ws. The server figures are the relay's.
const std::vector<std::string> kCsms{"/usr/bin/env", "node", FUSEGUARD_SOURCE_DIR "/bench/ocpp_peer_server.mjs"};
void BM_Relay_direct(benchmark::State& state) { run_load(state, kCsms); }
void BM_Relay_fuseguard(benchmark::State& state) {
    run_load(state, {FUSEGUARD_BINARY_DIR "/bench/ocpp_bench_server", std::to_string(state.range(0))}, kCsms);
}
void BM_Relay_ws(benchmark::State& state) {
    run_load(state, {"/usr/bin/env", "node", FUSEGUARD_SOURCE_DIR "/bench/relay_peer_ws.mjs"}, kCsms);
}
#define RELAY_LOADS ->Args({1000, 10000, 30})->Args({1000, 1000, 30})->Args({1000, 3600000, 30})
BENCHMARK(BM_Relay_direct) RELAY_LOADS->Iterations(1)->UseRealTime()->Unit(benchmark::kSecond);
BENCHMARK(BM_Relay_fuseguard) RELAY_LOADS->Iterations(1)->UseRealTime()->Unit(benchmark::kSecond);
BENCHMARK(BM_Relay_ws) RELAY_LOADS->Iterations(1)->UseRealTime()->Unit(benchmark::kSecond);

// {stations, period ms, measured seconds}
#define LOADS ->Args({100, 1000, 10})->Args({1000, 1000, 10})->Args({5000, 1000, 10})->Args({5000, 10000, 20})
BENCHMARK(BM_MeterValues_fuseguard) LOADS->Iterations(1)->UseRealTime()->Unit(benchmark::kSecond);
BENCHMARK(BM_MeterValues_ocpp_rpc) LOADS->Iterations(1)->UseRealTime()->Unit(benchmark::kSecond);

}  // namespace

int main(int argc, char** argv) {
    // Thousands of sockets here and in the server: lift the soft limit.
    rlimit lim{};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    return 0;
}
