#pragma once
// One simulated charging station: an OCPP 1.6 or 2.0.1 websocket client
// whose car arrives, starts a transaction, charges at what the charging
// profiles it holds allow (kept when it loses fuseguard, as a real station
// keeps them: OCPP 1.6 section 3.13.6), reports its draw in MeterValues,
// leaves, sometimes faults and sometimes loses its connection. Deterministic
// for a seed: every random choice comes from its own generator.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include <array>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "config/config.hpp"
#include "drivers/ocpp/held_profiles.hpp"
#include "policy/phase.hpp"
#include "sim_config.hpp"

namespace fuseguard::sim {

class SimStation : public std::enable_shared_from_this<SimStation> {
public:
    SimStation(boost::asio::io_context& io, const SimConfig& cfg, const config::ChargerConfig& charger, bool v201,
               std::uint32_t seed);

    void start();
    // One simulated second: cars, faults, drops, meter values.
    void tick();
    // What it draws now on site L1..L3.
    std::array<double, 3> site_draw() const;
    const std::string& id() const { return charger_.id; }
    // SetChargingProfile received, by what it carried (stations write each
    // to flash: the demo reports them when it stops), and the
    // GetCompositeSchedule that verified them (reads, not writes).
    struct ProfileWrites {
        std::uint64_t station_limit = 0, transaction = 0, fallback_layer = 0, composite_reads = 0;
    };
    const ProfileWrites& profile_writes() const { return writes_; }

private:
    void do_connect();
    void on_connect(boost::beast::error_code ec);
    void on_handshake(boost::beast::error_code ec);
    void do_read();
    void on_read(boost::beast::error_code ec, std::size_t);
    nlohmann::json configuration(const std::string& action, const nlohmann::json& p) const;
    void on_call(const nlohmann::json& frame);
    void call(const std::string& action, nlohmann::json payload);
    void write(std::string text);
    void do_write();
    void drop(double for_s);

    void send_status();
    void send_transaction_start();
    void send_transaction_stop();
    void on_result(const nlohmann::json& frame);
    void send_meter_values();
    void send_fault(bool raise);
    double terminal_current() const;  // per used terminal phase
    double uniform(double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng_); }
    bool chance(double every_s) { return uniform(0, 1) < 1.0 / every_s; }

    boost::asio::io_context& io_;
    const SimConfig& cfg_;
    config::ChargerConfig charger_;
    policy::PhaseSet phases_;
    bool v201_;
    std::mt19937 rng_;
    std::optional<boost::beast::websocket::stream<boost::beast::tcp_stream>> ws_;
    boost::beast::flat_buffer buffer_;
    std::deque<std::string> out_;
    bool writing_ = false, open_ = false;
    int next_id_ = 0;
    double offline_for_s_ = 0;          // waiting to reconnect

    ocpp::HeldProfiles profiles_;
    ProfileWrites writes_;
    void count_write(const ocpp::ChargingProfile& p);       // what fuseguard sent, kept when it is gone
    std::map<std::string, std::string> awaiting_;  // our CALLs' ids -> action
    // The car's transaction: begun when it came (by the station's clock),
    // its id once the CSMS gave one (1.6) or chosen here (2.0.1).
    std::optional<std::chrono::system_clock::time_point> tx_start_;
    std::string tx_id_;
    bool tx_reported_ = false;
    int tx_count_ = 0;
    bool car_ = false;
    double car_max_a_ = 0, car_left_s_ = 0;
    std::optional<std::size_t> fault_;  // index into the fault list
    double fault_left_s_ = 0;
    int since_meter_s_ = 0;
    std::string sent_status_;
};

}  // namespace fuseguard::sim
