#pragma once
// One connected charging station, the OCPP part: frames in, dispatch to
// on_<action> handlers, our CALLs out one at a time with their answers, and
// the station's liveness. The transport (plain or TLS websocket) is a
// WebsocketSession deriving from this.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <list>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "backend_link.hpp"
#include "charging_profile.hpp"
#include "composite_schedule.hpp"
#include "limit_profiles.hpp"
#include "rpc.hpp"
#include "station_configuration.hpp"

namespace fuseguard::ocpp {

class Server;

// How long a CALL to a station (ours, or a CSMS's we relay) waits for its answer.
inline constexpr auto kCallTimeout = std::chrono::seconds(30);

class ChargerSession {
public:
    using Answer = std::variant<CallResult, CallError, std::monostate>;  // monostate: timeout or closed
    using Done = std::function<void(const Answer&)>;

    virtual ~ChargerSession() = default;

    // Queues an outgoing CALL; `done` gets the answer.
    void call(std::string action, nlohmann::json payload, Done done);

    // Sends `amps` as the station's limit, in every profile it needs
    // (limit_profiles.hpp); `done` gets the outcome of them all.
    struct LimitOutcome {
        bool accepted = false;
        bool unanswered = false;  // one went unanswered: the station may hold it or not
        std::string detail;       // "Accepted", or the first problem
    };
    using LimitDone = std::function<void(const LimitOutcome&)>;
    void apply_limit(double amps, LimitDone done);
    // For the inbound handlers: a transaction began or ended on a connector
    // (EVSE). A running transaction gets its own profile with the limit.
    void transaction_started(int connector, const std::string& transaction_id);
    void transaction_ended(const std::string& transaction_id);
    // A transaction the station reports on (meter values) that we did not
    // see start: one that began before this connection, e.g. before a
    // restart of fuseguard. It gets its profile as any other.
    void transaction_seen(int connector, const std::string& transaction_id);
    // Ends the session (replaced by a newer connection, shutdown, silence).
    void close(std::string cause);
    // Its link to the CSMS starts again from the server's backend and
    // station table (a reload changed them); the station stays connected.
    // What the old link left unanswered is handled as when a link drops.
    void reopen_backend(const std::string& why);

    const std::string& id() const { return id_; }
    Version version() const { return version_; }
    // What it said of its smart charging after its boot (defaults until then).
    const ProfileCapabilities& capabilities() const { return station_config_.capabilities; }

protected:
    using Clock = std::chrono::steady_clock;
    ChargerSession(boost::asio::any_io_executor ex, Server& server, std::string id, Version version);

    // For the transport: the websocket is open, a text frame arrived, any
    // frame (pongs included) arrived.
    void opened();
    void handle(const std::string& text);
    void heard() { last_heard_ = Clock::now(); }
    bool closed() const { return closed_; }

    // Provided by the transport.
    virtual void send(std::string text) = 0;  // queued; one write in flight
    virtual void send_ping() = 0;
    virtual void shutdown() = 0;              // close the socket now
    virtual std::shared_ptr<ChargerSession> self() = 0;
    // The link to the CSMS (local controller): a real websocket client; a
    // fuzzer feeds the CSMS's frames through a link of its own.
    virtual std::shared_ptr<BackendLink> make_backend_link(BackendLink::Target target, BackendLink::Handlers handlers);

    Server& server_;
    std::weak_ptr<const bool> server_alive_;  // see Server::lifetime

private:
    struct Outgoing {
        Call frame;
        Done done;
    };
    void do_ping();
    void do_watch();
    void probe_silence();
    void send_next_call();
    void count_error(const char* kind);  // into the server's error counts
    void finish_call(const Answer& answer);
    void configure();
    void send_configuration();

    // The profiles that carry the limit (charger_limits.cpp).
    struct Transaction {
        std::string id;
        Clock::time_point started;  // when we heard of it: no earlier than the station's own start
        // When the step of its last profile is due, by our clock: the
        // station counts from its own start, so it steps no later.
        std::optional<Clock::time_point> steps_down_at;
        // Begun before this connection (learnt from its meter values): its
        // start is not known, so its profile goes out Absolute.
        bool start_unknown = false;
    };
    LimitLayers layers() const;
    // Sends `p` for `connector` unless the station's stack would refuse it;
    // `done` gets the outcome.
    void send_profile(int connector, const ChargingProfile& p, LimitDone done);
    void send_transaction_profile(int connector, LimitDone done);
    void do_renew();
    void send_fallback_layer();

    // Verifying the failsafe (charger_failsafe.cpp): GetCompositeSchedule
    // once the layers changed, at most once per kVerifyGap.
    void verify_failsafe();
    void check_composites();
    // The station's clock as its composite schedule's start shows it, for
    // the Absolute profiles of a station that refuses Relative ones; `then`
    // learns whether it is known.
    void note_station_clock(const CompositeSchedule& c);
    void learn_station_clock(std::function<void(bool known)> then);

    // Inbound CALLs, by version (v16_inbound.cpp, v201_inbound.cpp).
    std::variant<nlohmann::json, CallError> dispatch_v16(const Call& call);
    std::variant<nlohmann::json, CallError> dispatch_v201(const Call& call);
    // Sends the answer to a station's CALL (`text` is `answer` as it goes on
    // the wire: ours, or the CSMS's unchanged) and acts on what it said.
    void answer_station(const Call& call, const Frame& answer, std::string text);
    // A 1.6 StartTransaction was answered: the transaction has the id the
    // answer gave it (v16_inbound.cpp).
    void start_transaction_answered(const Call& call, const nlohmann::json& answer);

    // The link to the CSMS, when fuseguard is a local controller
    // (charger_relay.cpp, docs/ocpp.md "Local controller").
    enum class BackendState { None, Connecting, Open, Down };
    struct StationCall {  // a station's CALL waiting for the CSMS's answer
        Call call;
        std::string text;
        Frame local_answer;  // what fuseguard answers when the CSMS does not in time
        bool sent = false;
    };
    struct BackendCall {  // a CSMS CALL for the station
        std::string id, action, text;
    };
    void open_backend();
    void backend_opened();
    void backend_lost(const std::string& cause);
    void from_backend(const std::string& text);
    void relay_station_call(Call call, const std::string& text, Frame local_answer);
    void answer_locally();
    StationCall take_station_call();  // the one waiting for the CSMS, its timer stopped
    void relay_backend_call(const Call& call, const std::string& text);
    // What the CSMS answered for a tag, for when it is away (authorization.hpp).
    void learn_tag(const Call& call, const Frame& answer);
    void send_next_backend_call();
    void finish_backend_call();
    void send_to_backend(std::string text);
    // Tells the controller the link's state and the queue's depth.
    void report_backend_link(const std::string& cause = "");
    // What the CSMS missed, sent once it is back (charger_replay.cpp).
    void note_for_replay(const Call& call);
    void keep_for_replay(const Call& call, const Frame& local_answer);
    void note_late_start(const Call& call, const Frame& local_answer);
    bool map_late_start(const std::string& id, const Frame& answer);
    // `text`, or the call with the CSMS's id for a transaction fuseguard
    // started while it was away.
    std::string with_backend_transaction(const Call& call, const std::string& text);
    bool needs_replay();
    void start_replay();
    void stop_replay();
    void replay_next();
    void upstream_call(std::string action, nlohmann::json payload, std::function<void(const Frame*)> done);
    void finish_upstream_call(const Frame* answer);  // none: no answer
    // The CSMS's profiles as upper bounds (charger_backend_limit.cpp).
    void take_backend_profile(const Call& call);
    void clear_backend_profiles(const Call& call);
    std::optional<double> backend_limit_now() const;
    void report_backend_limit();

    std::string id_;
    Version version_;
    boost::asio::steady_timer ping_timer_, watch_timer_, call_timer_, status_timer_;
    Clock::time_point last_heard_;
    // Its queues are lists: usually empty, and an empty std::deque still
    // holds 576 bytes, which thousands of sessions feel (heaptrack).
    std::list<Outgoing> calls_;
    std::optional<Outgoing> in_flight_;
    StationConfiguration station_config_;
    std::map<int, Transaction> transactions_;  // running, by connector
    std::optional<double> limit_;              // the last limit we sent
    boost::asio::steady_timer renew_timer_, verify_timer_;
    std::optional<Clock::time_point> last_verified_;
    bool verify_requested_ = false;
    bool layers_sent_ = false;  // its fallback layer went out after its boot
    bool absolute_transactions_ = false;  // it refused a Relative TxProfile
    std::optional<std::chrono::system_clock::duration> station_clock_offset_;  // its clock minus ours
    std::shared_ptr<BackendLink> backend_;
    BackendState backend_state_ = BackendState::None;
    struct UpstreamCall {  // one of fuseguard's own calls to the CSMS (the replay)
        std::string id;
        std::function<void(const Frame*)> done;
    };
    // What only a local controller needs (a `backend:`), allocated when a
    // relay path first touches it: about 1 KB a session that a site without
    // a CSMS, at thousands of stations, does not carry (heaptrack).
    struct Relay {
        explicit Relay(const boost::asio::any_io_executor& ex)
            : answer_timer(ex), backend_call_timer(ex), backend_limit_timer(ex), upstream_timer(ex) {}
        std::optional<StationCall> station_call;
        std::list<BackendCall> backend_calls;
        std::optional<BackendCall> backend_in_flight;
        boost::asio::steady_timer answer_timer, backend_call_timer, backend_limit_timer, upstream_timer;
        std::optional<double> backend_limit;  // the last one reported
        bool backend_limit_reported = false;
        std::string backend_cause;  // why the link is down
        bool replaying = false;
        bool boot_unsent = false;  // its BootNotification was answered by fuseguard
        bool statuses_due = false;
        std::map<int, nlohmann::json> last_status;  // StatusNotification payloads by connector
        std::list<nlohmann::json> status_replay;
        std::map<std::string, std::string> late_starts;  // StartTransaction call id -> the id fuseguard answered
        std::optional<UpstreamCall> upstream_call;
    };
    Relay& relay();
    std::unique_ptr<Relay> relay_;
    std::uint64_t next_id_ = 1;
    int next_transaction_ = 1;
    bool status_seen_ = false;
    bool open_ = false;
    bool closed_ = false;
};

}  // namespace fuseguard::ocpp
