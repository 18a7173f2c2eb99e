#pragma once
// An OCPP 1.6 station for end-to-end tests: a real async Beast websocket
// client on its own thread that answers every CALL from the server (with
// `Accepted`, or what the test sets per action) and records it, so a test
// can see which limits arrived, in which order.
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "drivers/ocpp/held_profiles.hpp"
#include "drivers/ocpp/profile_rules.hpp"

namespace fuseguard::test {

struct ReceivedCall {
    std::uint64_t seq = 0;  // global order across every AutoStation
    std::string station;
    // The OCPP action, except that a SetChargingProfile other than the station
    // limit (limit_profiles.hpp) is "SetChargingProfile/fallback" or
    // "SetChargingProfile/transaction": "SetChargingProfile" is the limit.
    std::string action;
    std::string wire_action;  // the OCPP action itself
    nlohmann::json payload;
    std::uint64_t answered_seq = 0;  // when its answer went out, same order; 0 until then
};

class AutoStation {
public:
    // `before`: the same station's previous connection, closed: the new one
    // keeps what it held (its profiles, its transaction), as a station
    // does when it reconnects. Throws when the connection or upgrade fails.
    AutoStation(std::string id, std::uint16_t port, const AutoStation* before = nullptr);
    ~AutoStation();
    AutoStation(const AutoStation&) = delete;
    AutoStation& operator=(const AutoStation&) = delete;

    bool connected() const { return open_; }
    const std::string& id() const { return id_; }
    // The position in the global order of calls and answers reached so far.
    static std::uint64_t now();
    // Sends a CALL and does not wait for its answer.
    void call(const std::string& action, const nlohmann::json& payload);
    void boot() { call("BootNotification", {{"chargePointVendor", "Test"}, {"chargePointModel", "Auto"}}); }
    void status(int connector, const std::string& status, const std::string& error = "NoError",
                const nlohmann::json& extra = nlohmann::json::object());
    // `action` as ReceivedCall names it ("SetChargingProfile/transaction"
    // for those alone) or the OCPP action (every SetChargingProfile).
    void set_answer(const std::string& action, const std::string& status);
    // Answers `action` only after `delay` (the station is busy writing flash).
    // Calls are still answered one at a time, in order.
    void set_answer_delay(const std::string& action, std::chrono::milliseconds delay);
    // Answers every SetChargingProfile Accepted and applies none (the
    // "accepted but ignored" failures of real stations): it draws up to
    // `capacity` whatever it was given, and its composite schedule says so.
    void ignore_profiles(double capacity);
    // Its clock runs `offset` ahead of the machine's (behind when negative):
    // its Absolute schedules, its transactions and its composite schedule's
    // start all go by it.
    void set_clock_offset(std::chrono::system_clock::duration offset);
    // Refuses a Relative TxProfile, as some stacks do; other profiles as before.
    void refuse_relative_transaction_profiles();
    // Evaluates its schedules only every `interval` from now on (stacks do,
    // some every 30 s or more): allowed_now() is what it worked out last.
    void set_evaluation_interval(std::chrono::seconds interval);
    void close();
    // Checks every SetChargingProfile as a station built on EVerest's libocpp
    // would, with these capabilities, and answers Rejected when it finds a
    // reason (kept in refusals()).
    void apply_profile_rules(ocpp::ProfileCapabilities caps);
    std::vector<std::string> refusals();

    // A transaction on connector 1: StartTransaction, whose answer gives its
    // id; StopTransaction ends it (and its TxProfiles, as a station drops them).
    void start_transaction(const std::string& id_tag = "TAG");
    void stop_transaction();
    // A transaction `id` that began `began_ago` (before this connection: a
    // restart of fuseguard), made known only by a MeterValues carrying it.
    void resume_transaction(const std::string& id, std::chrono::seconds began_ago, double drawing_a);
    // MeterValues with Current.Import at `amps` on each of the three phases,
    // as a 1.6 station sends them.
    void send_meter_values(double amps, int connector = 1, std::optional<int> transaction_id = std::nullopt);
    // Its vehicle's draw per station terminal L1, L2, L3 (a 1-phase car: {a, 0, 0}).
    void send_meter_values(const std::array<double, 3>& per_phase, int connector = 1,
                           std::optional<int> transaction_id = std::nullopt);
    std::string transaction_id();
    // Drops every frame from the server from now on, but keeps the socket
    // open and answers pings: the link is up, nothing gets through.
    void go_deaf();
    // What its accepted profiles allow on connector 1 now, by its own clock
    // (ocpp::HeldProfiles); `capacity` when none limits it. Profiles are kept
    // when the connection goes, as a real station keeps them.
    double allowed_now(double capacity);
    // The most it may draw now: what its profiles allow, or more while a
    // SetChargingProfile it received is not answered yet (a station may
    // apply a profile as soon as it has it, combined with the others it
    // holds).
    double may_draw_now(double capacity);
    // Sends `text` as it is (garbage, for the tests of bad input).
    void send_raw(std::string text);
    // Waits until `pred(allowed_now(capacity))` holds.
    bool wait_allowed(double capacity, const std::function<bool(double)>& pred, std::chrono::milliseconds deadline);

    // Calls the server sent us, by action; waits until `pred` holds for the list.
    bool wait_calls(const std::string& action, const std::function<bool(const std::vector<ReceivedCall>&)>& pred,
                    std::chrono::milliseconds deadline = std::chrono::seconds(10));
    std::vector<ReceivedCall> calls(const std::string& action);
    // The limit in the last SetChargingProfile received, or -1.
    double last_limit();

private:
    void do_read();
    void on_frame(const std::string& text);
    void write(std::string text);
    void do_write();
    void answer_next();
    // Why the rules refuse this SetChargingProfile, "" when they do not.
    std::string profile_refusal_of(const nlohmann::json& payload) const;

    std::string id_;
    boost::asio::io_context io_;
    boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
    boost::beast::flat_buffer buffer_;
    std::deque<std::string> out_;
    bool writing_ = false;
    std::atomic<bool> open_{false};
    int next_id_ = 0;
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<ReceivedCall> calls_;
    std::map<std::string, std::string> answers_;
    std::map<std::string, std::chrono::milliseconds> delays_;
    std::optional<ocpp::ProfileCapabilities> rules_;
    ocpp::HeldProfiles held_;
    std::set<std::size_t> unanswered_profiles_;  // SetChargingProfile received and not answered, by index in calls_
    bool ignores_profiles_ = false;
    bool refuses_relative_tx_ = false;
    std::chrono::system_clock::duration clock_offset_{};
    std::chrono::seconds evaluation_interval_{0};
    std::chrono::system_clock::time_point evaluated_from_{};
    std::chrono::system_clock::time_point station_now() const;
    std::chrono::system_clock::time_point evaluated_at() const;
    double capacity_ = 32;  // what its composite shows where no profile limits it
    std::map<std::string, std::string> awaiting_;  // our CALLs' ids -> action
    std::optional<std::chrono::system_clock::time_point> tx_start_;
    std::string tx_id_;
    std::atomic<bool> deaf_{false};
    std::vector<std::string> refusals_;
    std::deque<std::pair<std::size_t, std::string>> to_answer_;  // index into calls_, answer frame
    std::unique_ptr<boost::asio::steady_timer> answer_timer_;
    bool answering_ = false;
    std::thread thread_;
};

// How ReceivedCall::action names a call with this payload.
std::string recorded_action(const std::string& action, const nlohmann::json& payload);

// Reads the limit (A) out of a SetChargingProfile payload (1.6).
double limit_of(const nlohmann::json& set_charging_profile);

// Every SetChargingProfile these stations received and answered, in one
// order: what each station may draw at each moment, counted the way SPEC 1
// counts it from the stations' side (a received limit may apply at once; a
// lowering counts only from its answer; before its first limit a station
// may draw `capacity_a`). Returns the highest sum seen after `from_seq`
// (AutoStation::now()) and the event that reached it.
struct StationSideLoad {
    double peak_a = 0;
    std::string at;
};
StationSideLoad station_side_peak(const std::vector<AutoStation*>& stations, double capacity_a, std::uint64_t from_seq);

}  // namespace fuseguard::test
