// Reaction time (SPEC 10): from a limit-lowering meter reading, or a meter
// declared offline, arriving at the controller, to the last affected
// station having received its lower SetChargingProfile over its websocket.
// The controller and fuseguard's OCPP server run on one io_context thread,
// as in the product; the N stations are async Beast clients on another.
#include <benchmark/benchmark.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "controller/metrics_exposition.hpp"
#include "controller/site_controller.hpp"
#include "drivers/ocpp/limit_profiles.hpp"
#include "drivers/ocpp/server.hpp"

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using Clock = std::chrono::steady_clock;
using nlohmann::json;
using namespace fuseguard;

namespace {

// What every station has been told, shared with the benchmark thread.
struct Board {
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<double> limit;          // last limit per station
    std::vector<bool> lowered;          // lowered since the mark
    std::size_t lowered_count = 0;
    Clock::time_point last_lowered;
    bool marking = false;
};

class Station : public std::enable_shared_from_this<Station> {
public:
    Station(net::io_context& io, Board& board, std::size_t index) : ws_(io), board_(board), index_(index) {}

    void start(std::uint16_t port) {
        beast::get_lowest_layer(ws_).connect({net::ip::make_address("127.0.0.1"), port});
        ws_.set_option(websocket::stream_base::decorator(
            [](websocket::request_type& r) { r.set(beast::http::field::sec_websocket_protocol, "ocpp1.6"); }));
        ws_.handshake("127.0.0.1", "/ocpp/CP" + std::to_string(index_));
        send(R"([2,"b","BootNotification",{"chargePointVendor":"Bench","chargePointModel":"B"}])");
        send(R"([2,"s","StatusNotification",{"connectorId":1,"status":"Charging","errorCode":"NoError"}])");
        // A transaction: each change of limit also goes out as its profile
        // (the failsafe layers), after the station limit timed here.
        send(R"([2,"t","StartTransaction",{"connectorId":1,"idTag":"B","meterStart":0,"timestamp":"2026-01-01T00:00:00Z"}])");
        read();
    }

private:
    void read() {
        ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return;
            self->on_frame(beast::buffers_to_string(self->buffer_.data()));
            self->buffer_.consume(self->buffer_.size());
            self->read();
        });
    }
    void on_frame(const std::string& text) {
        const auto f = json::parse(text, nullptr, false);
        if (f.is_discarded() || f[0] != 2) return;
        if (f[2] == "SetChargingProfile" && f[3]["csChargingProfiles"]["chargingProfileId"] == ocpp::kLimitProfileId) {
            const double limit = f[3]["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"];
            std::lock_guard lock(board_.mutex);
            const double before = board_.limit[index_];
            board_.limit[index_] = limit;
            if (board_.marking && limit < before && !board_.lowered[index_]) {
                board_.lowered[index_] = true;
                ++board_.lowered_count;
                board_.last_lowered = Clock::now();
            }
            board_.cv.notify_all();
        }
        send(json::array({3, f[1], {{"status", "Accepted"}}}).dump());
    }
    void send(std::string text) {
        out_.push_back(std::move(text));
        if (out_.size() == 1) write();
    }
    void write() {
        ws_.text(true);
        ws_.async_write(net::buffer(out_.front()), [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return;
            self->out_.pop_front();
            if (!self->out_.empty()) self->write();
        });
    }

    websocket::stream<beast::tcp_stream> ws_;
    beast::flat_buffer buffer_;
    std::deque<std::string> out_;
    Board& board_;
    std::size_t index_;
};

config::Config site_config(int n) {
    config::Config cfg;
    cfg.site.id = "bench";
    cfg.site.fuse_limit_a = 16.0 * n + 20;  // 16 A each while the meter reads 20 A
    cfg.policy.min_current_a = 6;
    config::MeterConfig m;
    m.id = "grid";
    m.measures = config::MeterMeasures::NonEv;
    m.fallback_a = 20 + 2.0 * n;            // offline: 14 A each
    cfg.meters.push_back(m);
    for (int i = 0; i < n; ++i) {
        config::ChargerConfig c;
        c.id = "CP" + std::to_string(i);
        c.max_current_a = 32;
        c.fallback_current_a = 6;
        cfg.chargers.push_back(c);
    }
    cfg.ocpp.listen_host = "127.0.0.1";
    cfg.ocpp.listen_port = 0;
    return cfg;
}

modbus::DeviceEvent reading(double amps, std::optional<modbus::Transition> t = std::nullopt) {
    modbus::DeviceEvent e;
    e.kind = modbus::DeviceKind::Meter;
    e.id = "grid";
    if (amps >= 0) e.reading = modbus::Reading{{amps, amps, amps}, std::nullopt, std::nullopt};
    e.transition = std::move(t);
    e.at = std::chrono::system_clock::now();
    e.at_mono = std::chrono::steady_clock::now();
    return e;
}

// `lower` makes every station's limit drop; `restore` brings it back.
void run(benchmark::State& state, const std::function<modbus::DeviceEvent(int)>& lower,
         const std::function<modbus::DeviceEvent(int)>& restore) {
    const int n = static_cast<int>(state.range(0));
    const int devnull = ::open("/dev/null", O_WRONLY);
    const int saved = ::dup(STDERR_FILENO);
    ::dup2(devnull, STDERR_FILENO);  // the product's log lines are not the load

    const auto cfg = site_config(n);
    net::io_context server_io, client_io;
    controller::Catalogue catalogue;
    controller::UptimeTracker uptime(":memory:", std::chrono::system_clock::now());
    std::unique_ptr<controller::SiteController> site;
    std::vector<ocpp::Server::Station> ids;
    for (const auto& c : cfg.chargers) ids.push_back({c.id, std::nullopt, c.fallback_current_a, c.max_current_a});
    ocpp::Server server(server_io, cfg.ocpp, ids, [&](ocpp::StationEvent e) { site->on_station_event(e); });
    // Server side: when the controller handed the last lowering to its
    // session (which writes it at once unless a write is in flight).
    std::atomic<std::int64_t> last_send_ns{0};
    site = std::make_unique<controller::SiteController>(
        server_io, cfg, catalogue, uptime,
        [&](const std::string& id, double a) {
            const bool ok = server.set_limit(id, a);
            last_send_ns = Clock::now().time_since_epoch().count();
            return ok;
        },
        [] {});
    const auto port = server.start();
    auto work = net::make_work_guard(server_io);
    std::thread server_thread([&] { server_io.run(); });
    net::post(server_io, [&] { site->on_device_event(reading(20, modbus::Transition{policy::DeviceState::Unknown, policy::DeviceState::Online, "first good reading"})); });

    Board board;
    board.limit.assign(n, 0);
    board.lowered.assign(n, false);
    std::vector<std::shared_ptr<Station>> stations;
    for (int i = 0; i < n; ++i) {
        stations.push_back(std::make_shared<Station>(client_io, board, i));
        stations.back()->start(port);
    }
    auto client_work = net::make_work_guard(client_io);
    std::thread client_thread([&] { client_io.run(); });

    auto wait_all = [&](double limit) {
        std::unique_lock lock(board.mutex);
        return board.cv.wait_for(lock, std::chrono::seconds(30), [&] {
            for (double l : board.limit)
                if (l != limit) return false;
            return true;
        });
    };
    if (!wait_all(16)) {
        state.SkipWithError("stations did not reach 16 A");
    } else {
        std::vector<double> samples, server_samples;
        for (auto _ : state) {
            {
                std::lock_guard lock(board.mutex);
                board.marking = true;
                board.lowered.assign(n, false);
                board.lowered_count = 0;
            }
            const auto t0 = Clock::now();
            net::post(server_io, [&] { site->on_device_event(lower(n)); });
            {
                std::unique_lock lock(board.mutex);
                if (!board.cv.wait_for(lock, std::chrono::seconds(30), [&] { return board.lowered_count == static_cast<std::size_t>(n); })) {
                    state.SkipWithError("not every station was lowered");
                    break;
                }
                board.marking = false;
                const double s = std::chrono::duration<double>(board.last_lowered - t0).count();
                state.SetIterationTime(s);
                samples.push_back(s * 1000);
            }
            // The last send before the restore is the last lowering.
            server_samples.push_back(
                std::chrono::duration<double, std::milli>(Clock::time_point(Clock::duration(last_send_ns.load())) - t0).count());
            net::post(server_io, [&] { site->on_device_event(restore(n)); });
            if (!wait_all(16)) {
                state.SkipWithError("stations did not come back to 16 A");
                break;
            }
        }
        std::sort(samples.begin(), samples.end());
        if (!samples.empty()) {
            state.counters["p50_ms"] = samples[samples.size() / 2];
            state.counters["p99_ms"] = samples[samples.size() * 99 / 100];
            state.counters["max_ms"] = samples.back();
            std::sort(server_samples.begin(), server_samples.end());
            state.counters["sent_p50_ms"] = server_samples[server_samples.size() / 2];
            state.counters["sent_p99_ms"] = server_samples[server_samples.size() * 99 / 100];
        }
        state.counters["stations"] = n;
    }
    client_work.reset();
    client_io.stop();
    client_thread.join();
    net::post(server_io, [&] { server.stop(); });
    work.reset();
    server_io.stop();
    server_thread.join();
    ::dup2(saved, STDERR_FILENO);
    ::close(saved);
    ::close(devnull);
}

void BM_ReactionToMeterReading(benchmark::State& state) {
    run(state, [](int n) { return reading(20 + n); }, [](int) { return reading(20); });
}

void BM_ReactionToMeterOffline(benchmark::State& state) {
    run(state,
        [](int) { return reading(-1, modbus::Transition{policy::DeviceState::Online, policy::DeviceState::Offline, "bench"}); },
        [](int) { return reading(20, modbus::Transition{policy::DeviceState::Offline, policy::DeviceState::Online, "bench"}); });
}

// GET /metrics is built in one handler on the control loop when scraped
// (docs/dashboard.md): how long that handler holds the loop, by site size.
// Every station online, charging and drawing, as on a busy site.
void BM_MetricsExposition(benchmark::State& state) {
    const int n = static_cast<int>(state.range(0));
    const int devnull = ::open("/dev/null", O_WRONLY);
    const int saved = ::dup(STDERR_FILENO);
    ::dup2(devnull, STDERR_FILENO);
    const auto cfg = site_config(n);
    net::io_context io;
    controller::Catalogue catalogue;
    controller::UptimeTracker uptime(":memory:", std::chrono::system_clock::now());
    controller::SiteController site(io, cfg, catalogue, uptime, [](const std::string&, double) { return true; }, [] {});
    site.on_device_event(reading(20, modbus::Transition{policy::DeviceState::Unknown, policy::DeviceState::Online, "first good reading"}));
    for (const auto& c : cfg.chargers) {
        site.on_station_event(ocpp::StationConnected{c.id, ocpp::Version::V16});
        site.on_station_event(ocpp::StationBooted{c.id, "Bench", "B", std::nullopt});
        site.on_station_event(ocpp::ConnectorStatusChanged{c.id, 1, "Charging", "NoError", std::nullopt, std::nullopt});
        site.on_station_event(ocpp::DrawMeasured{c.id, 1, {10, 10, 10}});
    }
    io.poll();
    controller::ServiceFigures figures;
    figures.modbus_reads["meter:grid"] = {1000, 3};
    std::size_t bytes = 0;
    for (auto _ : state) {
        const auto text = controller::metrics_exposition(site, figures);
        bytes = text.size();
        benchmark::DoNotOptimize(text.data());
    }
    state.counters["stations"] = n;
    state.counters["bytes"] = static_cast<double>(bytes);
    ::dup2(saved, STDERR_FILENO);
    ::close(saved);
    ::close(devnull);
}

}  // namespace

BENCHMARK(BM_MetricsExposition)->Arg(100)->Arg(1000)->Arg(5000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReactionToMeterReading)->Arg(10)->Arg(100)->UseManualTime()->Iterations(200)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReactionToMeterOffline)->Arg(10)->Arg(100)->UseManualTime()->Iterations(200)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
