// The whole service where an operator feels it (issue 16): the real
// fuseguard binary with a real mosquitto and a subscriber to everything it
// publishes, a Modbus meter, and N stations over loopback that boot, start
// a transaction, answer every call as a station would (and draw a little
// under the limit they were last given), and send MeterValues every period.
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
#include "drivers/ocpp/held_profiles.hpp"
#include "drivers/ocpp/v16/set_charging_profile.hpp"
#include "common/proc_status.hpp"
#include "dashboard_load.hpp"

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace ocpp = fuseguard::ocpp;
using Clock = std::chrono::steady_clock;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

struct Load {
    std::vector<double> latency_ms;
    std::uint64_t sent = 0, answered = 0, failed = 0, profiles = 0;
    // The profiles by what they did to the limit in force: a renewal keeps it.
    std::uint64_t lowerings = 0, raises = 0, renewals = 0;
    // Stations that have sent MeterValues drawing under their first limit:
    // measuring starts once every one has, and ends at `end`.
    int settled = 0;
    Clock::time_point end = Clock::time_point::max();
    // What every station last reported drawing, per phase, in tenths of an
    // ampere: a `total` meter reads it (SERVICE_METER=total).
    std::int64_t draws_da = 0;
};

// SERVICE_METER=total: the meter measures the whole site, stations included,
// so every report moves fuseguard's estimate of the non-EV load.
bool total_meter() {
    static const bool total = std::getenv("SERVICE_METER") && std::string(std::getenv("SERVICE_METER")) == "total";
    return total;
}

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

const std::string kMeterHead = R"(","MeterValues",{"connectorId":1,"transactionId":)";

class Station : public std::enable_shared_from_this<Station> {
public:
    Station(net::io_context& io, Load& load, std::string id, std::chrono::milliseconds period)
        : io_(io), timer_(io), follow_(io), load_(load), id_(std::move(id)), period_(period), jitter_(std::hash<std::string>{}(id_)) {}

    void start(std::uint16_t port, std::chrono::milliseconds first) {
        port_ = port;
        first_ = first;
        connect();
    }

private:
    // A station whose connection fails or drops tries again after a pause
    // that doubles up to 30 s, with jitter, as real ones do (fuseguard
    // closes upgrades it cannot take yet when thousands come at once).
    void connect() {
        ws_.emplace(io_);
        out_.clear();
        buf_.clear();
        started_ = waiting_ = false;
        beast::get_lowest_layer(*ws_).expires_after(60s);
        beast::get_lowest_layer(*ws_).async_connect(
            net::ip::tcp::endpoint{net::ip::make_address("127.0.0.1"), port_}, [self = shared_from_this()](beast::error_code ec) {
                if (ec) return self->retry();
                self->ws_->set_option(websocket::stream_base::decorator([](websocket::request_type& r) {
                    r.set(beast::http::field::sec_websocket_protocol, "ocpp1.6");
                }));
                self->ws_->async_handshake("127.0.0.1", "/ocpp/" + self->id_, [self](beast::error_code ec2) {
                    if (ec2) return self->retry();
                    beast::get_lowest_layer(*self->ws_).expires_never();
                    self->backoff_ = 1s;
                    self->read();
                    self->write(R"([2,"b","BootNotification",{"chargePointVendor":"Bench","chargePointModel":"S"}])");
                    self->write(R"([2,"s","StatusNotification",{"connectorId":1,"status":"Charging","errorCode":"NoError"}])");
                    self->tx_start_ = std::chrono::system_clock::now();
                    self->write(R"([2,"t","StartTransaction",{"connectorId":1,"idTag":"B","meterStart":0,"timestamp":"2026-12-06T00:00:00Z"}])");
                    self->schedule(self->first_);
                });
            });
    }
    void retry() {
        ++generation_;  // what the old connection still completes is ignored
        beast::error_code ignored;
        beast::get_lowest_layer(*ws_).socket().close(ignored);
        if (closing_ || Clock::now() >= load_.end) return;
        ++load_.failed;  // connections that failed or dropped
        const auto pause = backoff_ + std::chrono::milliseconds(jitter_() % 1000);
        backoff_ = std::min<std::chrono::milliseconds>(backoff_ * 2, 30s);
        timer_.expires_after(pause);
        timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
            if (!ec) self->connect();
        });
    }

    void schedule(std::chrono::milliseconds after) {
        timer_.expires_at(std::min(Clock::now() + after, load_.end));
        timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
            if (ec == net::error::operation_aborted) return;  // its connection dropped: retry() took the timer
            if (ec || Clock::now() >= self->load_.end) return self->close();
            self->send_meter_values();
            self->schedule(self->period_);
        });
    }
    void send_meter_values() {
        // Still waiting for the last answer, or for its transaction's id (a
        // station knows it from the StartTransaction answer): skip a beat.
        if (waiting_ || !started_) return;
        waiting_ = true;
        // A car drawing a little under the limit it follows (nothing before it has one).
        // SERVICE_DRAW_NOISE: a draw that moves by a tenth of an ampere from
        // one report to the next, as most cars' do, so that every report
        // changes what is shown of its station.
        static const bool noise = std::getenv("SERVICE_DRAW_NOISE") != nullptr;
        under_ = noise ? 0.4 + 0.1 * static_cast<double>(seq_ % 3) : 0.4;
        set_draw();
        char amps[16];
        std::snprintf(amps, sizeof amps, "%.1f", static_cast<double>(draw_da_) / 10);
        std::string sampled;
        for (const char* phase : {"L1", "L2", "L3"})
            sampled += std::string(sampled.empty() ? "" : ",") + R"({"value":")" + amps +
                       R"(","measurand":"Current.Import","phase":")" + phase + R"(","unit":"A"})";
        sent_at_ = Clock::now();
        settling_ = followed_ < kCapacity;  // its car follows a limit of its own
        ++load_.sent;
        write("[2,\"" + std::to_string(++seq_) + kMeterHead + std::to_string(transaction_) +
              R"(,"meterValue":[{"timestamp":"2026-12-06T12:00:00Z","sampledValue":[)" + sampled + "]}]}]");
    }
    // What a station answers fuseguard's calls with. It keeps the profiles
    // it is sent and answers GetCompositeSchedule from them, as a station
    // with working smart charging does, so fuseguard verifies its failsafe.
    void answer(const json& frame) {
        const std::string action = frame[2];
        json payload = {{"status", "Accepted"}};
        if (action == "GetConfiguration") payload = {{"configurationKey", json::array()}};
        if (action == "GetCompositeSchedule") {
            auto req = ocpp::GetCompositeScheduleRequest::from_json(frame[3], ocpp::Version::V16);
            payload = {{"status", "Rejected"}};
            if (auto* r = std::get_if<ocpp::GetCompositeScheduleRequest>(&req)) {
                const ocpp::GetCompositeScheduleResponse res{
                    "Accepted", held_.composite(r->connector, std::chrono::system_clock::now(), tx_start_, r->duration_s, kCapacity)};
                payload = res.to_json(ocpp::Version::V16, r->connector);
            }
        }
        if (action == "SetChargingProfile") {
            ++load_.profiles;
            auto req = ocpp::v16::SetChargingProfileRequest::from_json(frame[3]);
            if (auto* r = std::get_if<ocpp::v16::SetChargingProfileRequest>(&req)) {
                const auto now = std::chrono::system_clock::now();
                const double before = held_.limit_at(1, now, tx_start_).value_or(kCapacity);
                held_.install(r->connector_id, r->profile);
                const double after = held_.limit_at(1, now, tx_start_).value_or(kCapacity);
                ++(after < before ? load_.lowerings : after > before ? load_.raises : load_.renewals);
                follow_limit();
            } else {
                payload = {{"status", "Rejected"}};
            }
        }
        write(json::array({3, frame[1], payload}).dump());
        // Asked for its meter values (fuseguard does after a raise, behind
        // a total meter): it sends them, as stations do.
        if (action == "TriggerMessage" && frame[3].value("requestedMessage", "") == "MeterValues") send_meter_values();
    }
    void read() {
        ws_->async_read(buf_, [self = shared_from_this(), generation = generation_](beast::error_code ec, std::size_t) {
            if (generation != self->generation_) return;
            if (ec) return self->retry();
            const auto frame = json::parse(beast::buffers_to_string(self->buf_.data()), nullptr, false);
            self->buf_.consume(self->buf_.size());
            if (frame.is_array() && frame.size() >= 3 && frame[0] == 2) self->answer(frame);
            if (frame.is_array() && frame.size() >= 3 && frame[0] == 3) {
                if (frame[1] == "t") self->transaction_ = frame[2].value("transactionId", 0), self->started_ = true;
                if (self->waiting_ && frame[1] == std::to_string(self->seq_)) {
                    self->load_.latency_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - self->sent_at_).count());
                    ++self->load_.answered;
                    self->waiting_ = false;
                    if (self->settling_ && !self->settled_) ++self->load_.settled, self->settled_ = true;
                }
            }
            self->read();
        });
    }
    // Its car follows a new limit as real ones do (IEC 61851-1): a lowering
    // within a second or two, a raise after several seconds; what it draws
    // meanwhile is what it reports and what a total meter reads.
    void follow_limit() {
        const double limit = held_.limit_at(1, std::chrono::system_clock::now(), tx_start_).value_or(kCapacity);
        follow_.expires_after(limit < followed_ ? 1s : 4s);
        follow_.async_wait([self = shared_from_this(), limit](beast::error_code ec) {
            if (ec) return;
            self->followed_ = limit;
            self->set_draw();
        });
    }
    void set_draw() {
        const auto draw_da = std::llround(std::max(0.0, followed_ - under_) * 10);
        load_.draws_da += draw_da - draw_da_;
        draw_da_ = draw_da;
    }
    // One write in flight; the rest wait their turn.
    void write(std::string text) {
        out_.push_back(std::move(text));
        if (out_.size() == 1) do_write();
    }
    void do_write() {
        ws_->text(true);
        ws_->async_write(net::buffer(out_.front()), [self = shared_from_this(), generation = generation_](beast::error_code ec, std::size_t) {
            if (ec || generation != self->generation_) return;  // the read fails too, and the station tries again
            self->out_.pop_front();
            if (!self->out_.empty()) self->do_write();
        });
    }
    void close() {
        closing_ = true;
        follow_.cancel();
        if (!ws_) return;
        beast::error_code ignored;
        beast::get_lowest_layer(*ws_).socket().close(ignored);
    }

    net::io_context& io_;
    std::optional<websocket::stream<beast::tcp_stream>> ws_;
    net::steady_timer timer_, follow_;
    beast::flat_buffer buf_;
    std::deque<std::string> out_;
    Load& load_;
    std::string id_;
    std::chrono::milliseconds period_;
    Clock::time_point sent_at_;
    bool settling_ = false, settled_ = false, started_ = false;
    std::uint64_t seq_ = 0;
    std::int64_t draw_da_ = 0;  // what its car draws per phase, in tenths of an ampere
    double followed_ = kCapacity, under_ = 0.4;
    int transaction_ = 0;
    static constexpr double kCapacity = 32;  // its max_current_a
    ocpp::HeldProfiles held_;
    std::optional<std::chrono::system_clock::time_point> tx_start_;
    bool waiting_ = false;
    bool closing_ = false;
    int generation_ = 0;  // of its connection
    std::uint16_t port_ = 0;
    std::chrono::milliseconds first_{0};
    std::chrono::milliseconds backoff_ = 1s;
    std::minstd_rand jitter_;
};

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
            load.lowerings = load.raises = load.renewals = 0;
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
