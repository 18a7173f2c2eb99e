#pragma once
// The stations of bench_service: async Beast clients that boot, start a
// transaction, answer every call as a station with working smart charging
// would (keeping the profiles they are sent), draw under the limit their car
// follows (a lowering after 1 s, a raise after 4 s), and send MeterValues
// every period and when asked, timing each round trip.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "drivers/ocpp/composite_schedule.hpp"
#include "drivers/ocpp/held_profiles.hpp"
#include "drivers/ocpp/v16/set_charging_profile.hpp"

namespace fuseguard::bench {

namespace service_station {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace ocpp = fuseguard::ocpp;
using Clock = std::chrono::steady_clock;
using nlohmann::json;
using namespace std::chrono_literals;

struct Load {
    std::vector<double> latency_ms;
    std::uint64_t sent = 0, answered = 0, failed = 0, profiles = 0;
    // The profiles that lowered or raised the limit in force (the rest renew it).
    std::uint64_t lowerings = 0, raises = 0;
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
inline bool total_meter() {
    static const bool total = std::getenv("SERVICE_METER") && std::string(std::getenv("SERVICE_METER")) == "total";
    return total;
}

inline const std::string kMeterHead = R"(","MeterValues",{"connectorId":1,"transactionId":)";

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
                const double before = limit_at(now);
                held_.install(r->connector_id, r->profile);
                const double after = limit_at(now);
                if (after < before) ++load_.lowerings;
                if (after > before) ++load_.raises;
                follow(after);
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
    void follow(double limit) {
        follow_.expires_after(limit < followed_ ? 1s : 4s);
        follow_.async_wait([self = shared_from_this(), limit](beast::error_code ec) {
            if (ec) return;
            self->followed_ = limit;
            self->set_draw();
        });
    }
    // What the profiles it holds allow at `now` (its capacity without one).
    double limit_at(std::chrono::system_clock::time_point now) const {
        return held_.limit_at(1, now, tx_start_).value_or(kCapacity);
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

}  // namespace service_station

using service_station::Load;
using service_station::Station;
using service_station::total_meter;

}  // namespace fuseguard::bench
