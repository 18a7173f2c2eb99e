// The whole service where an operator feels it (issue 16): the real
// fuseguard binary with a real mosquitto and a subscriber to everything it
// publishes, a Modbus meter, and N stations over loopback that boot, start
// a transaction, answer every call as a station would (and draw a little
// under the limit their car follows), and send MeterValues every period
// (service_station.hpp).
// Reported, after the ramp: fuseguard's CPU share of one core and RSS, the
// MeterValues round trip p50/p99, and the profiles and MQTT messages a
// second it sent. With `pages` > 0 the dashboard is on and that many live
// pages watch it while /metrics is scraped every 5 s (dashboard_load.hpp).
// Run: build/bench/bench_service (docs/BENCHMARKS.md, "The whole service").
#include <benchmark/benchmark.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <mqtt/async_client.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <functional>
#include <iterator>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <regex>
#include <sstream>

#include "common/child_process.hpp"
#include "common/temp_dir.hpp"
#include "controller/mqtt_fixture.hpp"
#include "modbus/test_server.hpp"
#include "drivers/iso8601.hpp"
#include "common/proc_status.hpp"
#include "dashboard_load.hpp"
#include "service_station.hpp"

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace ocpp = fuseguard::ocpp;
using Clock = std::chrono::steady_clock;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

using fuseguard::bench::Load;
using fuseguard::bench::Station;
using fuseguard::bench::total_meter;


// 100 stations per board, each board fused for 100 stations at 10 A.
std::string site_yaml(int stations, std::uint16_t meter_port, std::uint16_t mqtt_port, const std::string& state_dir,
                      std::uint16_t http_port) {
    std::ostringstream y;
    const int boards = (stations + 99) / 100;
    y << "site:\n  id: bench\n  fuse_limit_a: " << stations * 10 << "\n"
      << "meters:\n"
      << "  - { id: grid, measures: " << (total_meter() ? "total" : "non_ev") << ", modbus: { host: 127.0.0.1, port: "
      << meter_port << ", timeout_s: 0.5 },\n"
      << "      registers: { current_a: { address: 100, type: uint32, scale: 0.1, per_phase: true } }, poll_interval_s: 1,\n"
      << "      offline_after_s: 5, fallback_a: 50 }\n"
      << "policy: { trust_unverified_fallback: true }\n"
      << "chargers:\n";
    for (int i = 0; i < stations; ++i)
        y << "  - { id: CP" << i << ", circuit: B" << i / 100 << ", max_current_a: 32, fallback_current_a: 6 }\n";
    y << "ocpp: { listen: 127.0.0.1:0 }\n"
      << "mqtt: { broker: tcp://127.0.0.1:" << mqtt_port << ", topic_prefix: fg }\n"
      << "state_dir: " << state_dir << "\n";
    if (http_port) y << "http: { listen: 127.0.0.1:" << http_port << " }\n";
    std::string text = y.str();
    std::string circuits = "  circuits:\n";
    for (int b = 0; b < boards; ++b) circuits += "    - { id: B" + std::to_string(b) + ", fuse_limit_a: 1000 }\n";
    return text.insert(text.find("meters:"), circuits);
}

// Counts what fuseguard publishes.
class Subscriber {
public:
    explicit Subscriber(std::uint16_t port) : client_("tcp://127.0.0.1:" + std::to_string(port), "bench-sub") {
        client_.set_message_callback([this](mqtt::const_message_ptr msg) {
            ++messages;
            if (!explain_) return;
            // SERVICE_TOPICS: which kinds of topic (the charger id folded into
            // "+"), and now and then what changed in a charger's.
            static const std::regex charger_id("/CP[0-9]+");
            const std::string topic = msg->get_topic();
            std::lock_guard lock(mutex_);
            auto& last = last_[topic];
            if (counting && !last.empty() && ++seen_ % 997 == 0 && topic.find("chargers") != std::string::npos)
                std::fprintf(stderr, "%s\n  was %s\n  now %s\n  received %s\n", topic.c_str(), last.c_str(),
                             msg->to_string().c_str(), fuseguard::iso8601(std::chrono::system_clock::now(), true).c_str());
            last = msg->to_string();
            if (counting) ++by_topic_[std::regex_replace(topic, charger_id, "/+")];
        });
        client_.connect()->wait();
        client_.subscribe("fg/#", 0)->wait();
    }
    ~Subscriber() {
        try {
            client_.disconnect()->wait();
        } catch (const mqtt::exception&) {
        }
    }
    std::atomic<std::uint64_t> messages{0};
    std::atomic<bool> counting{false};  // within the measured minute
    void print_topics(double seconds) {
        std::lock_guard lock(mutex_);
        for (const auto& [topic, n] : by_topic_) std::fprintf(stderr, "  %8.1f/s %s\n", static_cast<double>(n) / seconds, topic.c_str());
    }

private:
    std::mutex mutex_;
    std::map<std::string, std::uint64_t> by_topic_;
    std::map<std::string, std::string> last_;
    int seen_ = 0;
    const bool explain_ = std::getenv("SERVICE_TOPICS") != nullptr;
    mqtt::async_client client_;
};

void BM_Service(benchmark::State& state) {
    const int stations = static_cast<int>(state.range(0));
    const auto period = std::chrono::milliseconds(state.range(1));
    const auto duration = std::chrono::seconds(state.range(2));
    const int pages = static_cast<int>(state.range(3));
    for (auto _ : state) {
        fuseguard::test::TempDir dir;
        fuseguard::test::Mosquitto broker;
        fuseguard::test::TestModbusServer meter;
        // 20 A of other loads per phase (and the stations' draws, for a total meter).
        const auto set_meter = [&meter](std::int64_t draws_da) {
            const auto v = static_cast<std::uint32_t>(200 + (total_meter() ? draws_da : 0));
            const auto hi = static_cast<std::uint16_t>(v >> 16), lo = static_cast<std::uint16_t>(v & 0xFFFF);
            meter.set_holding(100, {hi, lo, hi, lo, hi, lo});
        };
        set_meter(0);
        const std::uint16_t http_port = pages > 0 ? fuseguard::test::free_port() : 0;
        const auto config =
            dir.write("site.yaml", site_yaml(stations, meter.port(), broker.port(), (dir.path / "state").string(), http_port));
        // SERVICE_WRAP runs it under a tool (heaptrack, perf record -g --).
        std::vector<std::string> command{FUSEGUARD_BINARY, "--config", config};
        if (const char* wrap = std::getenv("SERVICE_WRAP")) {
            std::istringstream words(wrap);
            std::vector<std::string> tool{std::istream_iterator<std::string>(words), {}};
            command.insert(command.begin(), tool.begin(), tool.end());
        }
        fuseguard::test::ChildProcess service(command);
        if (!service.wait_for("stations connect to", 60s)) {
            std::fprintf(stderr, "%s\n", service.output().c_str());
            return state.SkipWithError("fuseguard did not start");
        }
        std::smatch m;
        const std::string out = service.output();
        if (!std::regex_search(out, m, std::regex("ocpp: listening on 127\\.0\\.0\\.1:([0-9]+)")))
            return state.SkipWithError("no OCPP port");
        const auto port = static_cast<std::uint16_t>(std::stoi(m[1]));
        Subscriber subscriber(broker.port());

        net::io_context io;
        Load load;
        // Everyone connects, boots, gets its first limits and sends MeterValues
        // under them (which changes its charger topic once) before measuring.
        const auto began = Clock::now();
        const auto settle_by = began + 180s;
        std::vector<std::shared_ptr<Station>> all;
        for (int i = 0; i < stations; ++i) {
            all.push_back(std::make_shared<Station>(io, load, "CP" + std::to_string(i), period));
            all.back()->start(port, period * i / stations);
        }
        // Its log goes to a pipe, as to journald: read it as it comes, or the
        // pipe fills and fuseguard waits for it.
        net::steady_timer drain(io);
        // RSS moves by several MB within a minute (what a burst left, given
        // back every 10 s): sampled every second of the measured minute.
        std::vector<double> rss_samples;
        auto next_rss_sample = Clock::time_point::max();
        std::function<void()> drain_log = [&] {
            service.read_available();
            set_meter(load.draws_da);
            if (Clock::now() >= next_rss_sample) {
                rss_samples.push_back(static_cast<double>(fuseguard::test::rss_kib(service.pid())) / 1024.0);
                next_rss_sample += 1s;
            }
            if (Clock::now() >= load.end) return;
            drain.expires_after(100ms);
            drain.async_wait([&](beast::error_code) { drain_log(); });
        };
        drain_log();
        fuseguard::bench::DashboardLoad dashboard(io, http_port, pages, 5s);
        if (pages > 0) dashboard.start();
        std::uint64_t page_bytes0 = 0;
        double cpu0 = 0, cpu1 = 0;
        std::uint64_t mqtt0 = 0, mqtt1 = 0, profiles0 = 0;
        std::size_t log0 = 0, log1 = 0;
        int unsettled = 0;
        double settle_s = 0;  // from the first connection to measuring
        std::optional<Clock::time_point> settled_at;
        std::uint64_t changes_seen = 0;  // limit changes by the last look
        net::steady_timer mark(io), done(io);
        std::function<void()> wait_settled = [&] {
            if (load.settled < stations && Clock::now() < settle_by) {
                mark.expires_after(100ms);
                return mark.async_wait([&](beast::error_code) { wait_settled(); });
            }
            // Then 30 s more: every charger topic changed (a few MB for the
            // broker and the subscriber to pass on), and failsafes are
            // verified once the first profiles are in.
            if (!settled_at) {
                settled_at = Clock::now();
                mark.expires_after(30s);
                return mark.async_wait([&](beast::error_code) { wait_settled(); });
            }
            // And until the limits are calm: fewer changes in 5 s than one
            // station in a hundred (behind a total meter, the estimate takes
            // a minute or two to settle after thousands came at once), for at
            // most 2 minutes more (settle_s says how long it took).
            const auto changes = load.lowerings + load.raises;
            if (changes - changes_seen > static_cast<std::uint64_t>(stations / 100) && Clock::now() < *settled_at + 150s) {
                changes_seen = changes;
                mark.expires_after(5s);
                return mark.async_wait([&](beast::error_code) { wait_settled(); });
            }
            unsettled = stations - load.settled;
            settle_s = std::chrono::duration<double>(Clock::now() - began).count();
            cpu0 = fuseguard::test::cpu_seconds(service.pid());
            mqtt0 = subscriber.messages;
            subscriber.counting = true;
            profiles0 = load.profiles;
            load.lowerings = load.raises = 0;
            page_bytes0 = dashboard.page_bytes();
            log0 = service.output().size();
            load.latency_ms.clear();
            load.sent = load.answered = 0;
            load.end = Clock::now() + duration;
            next_rss_sample = Clock::now();
            done.expires_at(load.end);
            done.async_wait([&](beast::error_code) {
                cpu1 = fuseguard::test::cpu_seconds(service.pid());
                mqtt1 = subscriber.messages;
                service.read_available();
                log1 = service.output().size();
                subscriber.counting = false;
                state.counters["pages_open"] = dashboard.pages_open();
                state.counters["page_kb_per_s"] =
                    static_cast<double>(dashboard.page_bytes() - page_bytes0) / 1024.0 / static_cast<double>(duration.count());
                dashboard.stop();
            });
        };
        wait_settled();
        io.run();
        service.read_available();
        if (std::getenv("SERVICE_LOG")) std::fprintf(stderr, "%s\n", service.output().c_str());
        state.counters["log_kb_per_s"] = static_cast<double>(log1 - log0) / 1024.0 / static_cast<double>(duration.count());
        if (std::getenv("SERVICE_TOPICS")) subscriber.print_topics(static_cast<double>(duration.count()));
        auto& l = load.latency_ms;
        std::sort(l.begin(), l.end());
        const double seconds = static_cast<double>(duration.count());
        state.counters["cpu_pct"] = (cpu1 - cpu0) / seconds * 100.0;
        std::sort(rss_samples.begin(), rss_samples.end());
        state.counters["rss_mb"] = rss_samples.empty() ? 0 : rss_samples[rss_samples.size() / 2];  // the median
        state.counters["rss_max_mb"] = rss_samples.empty() ? 0 : rss_samples.back();
        state.counters["p50_ms"] = l.empty() ? 0 : l[l.size() / 2];
        state.counters["p99_ms"] = l.empty() ? 0 : l[l.size() * 99 / 100];
        state.counters["profiles_per_s"] = static_cast<double>(load.profiles - profiles0) / seconds;
        state.counters["lowerings_per_s"] = static_cast<double>(load.lowerings) / seconds;
        state.counters["raises_per_s"] = static_cast<double>(load.raises) / seconds;
        state.counters["mqtt_per_s"] = static_cast<double>(mqtt1 - mqtt0) / seconds;
        state.counters["meter_values_per_s"] = static_cast<double>(load.answered) / seconds;
        state.counters["failed"] = static_cast<double>(load.failed);
        state.counters["unsettled"] = unsettled;
        state.counters["settle_s"] = settle_s;
        if (pages > 0) {
            state.counters["scrapes"] = dashboard.scrapes();
            state.counters["page_reconnects"] = dashboard.reconnects();
            state.counters["scrape_max_ms"] = dashboard.slowest_scrape_ms();
            state.counters["metrics_kb"] = static_cast<double>(dashboard.last_metrics_bytes()) / 1024.0;
        }
        // Sent before measuring started may be answered in it: never below 0.
        state.counters["unanswered"] = static_cast<double>(load.sent > load.answered ? load.sent - load.answered : 0);
    }
}

}  // namespace

// Arguments: stations, MeterValues period (ms), measured seconds, live
// dashboard pages (0: no http: section).
BENCHMARK(BM_Service)
    ->ArgNames({"stations", "period_ms", "s", "pages"})
    ->Args({1000, 10000, 60, 0})
    ->Args({1000, 10000, 60, 8})
    ->Args({5000, 10000, 60, 0})
    ->Args({5000, 10000, 60, 8})
    ->Args({1000, 1000, 60, 0})
    ->Args({5000, 1000, 60, 0})
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kSecond);

BENCHMARK_MAIN();
