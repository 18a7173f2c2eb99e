#pragma once
// The local OCPP endpoint (SPEC 5): a Boost.Beast websocket server at
// ws://HOST:PORT/ocpp/<identity>. One ChargerSession per connected station;
// everything runs on the controller's io_context thread.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "authorization.hpp"
#include "events.hpp"
#include "held_profiles.hpp"
#include "offline_queue.hpp"
#include "pending_upgrades.hpp"
#include "outbound.hpp"

namespace fuseguard::ocpp {

class ChargerSession;

class Server {
public:
    struct Station {
        Station(std::string station_id, std::optional<std::string> basic_auth_password = std::nullopt,
                std::optional<double> fallback = std::nullopt, double capacity = 0)
            : id(std::move(station_id)),
              password(std::move(basic_auth_password)),
              fallback_a(fallback),
              max_current_a(capacity) {}
        std::string id;
        std::optional<std::string> password;  // HTTP Basic auth (security profile 1)
        // What it steps down to when left alone (docs/ocpp.md "Failsafe");
        // none: it holds the station limit alone.
        std::optional<double> fallback_a;
        double max_current_a = 0;  // its capacity: what a transaction's profile allows under a station maximum
        // Who it is to the CSMS and the password fuseguard gives there
        // (local controller); its own identity and backend.password when unset.
        std::optional<std::string> backend_identity;
        std::optional<std::string> backend_password;
    };

    // `backend`: the operator's CSMS, each station relayed to it over a link
    // of its own (docs/ocpp.md "Local controller"); none: fuseguard is the
    // stations' only endpoint.
    Server(boost::asio::io_context& io, config::OcppConfig cfg, std::vector<Station> stations, StationSink sink,
           std::optional<config::BackendConfig> backend = std::nullopt,
           std::optional<config::AuthorizationConfig> authorization = std::nullopt,
           const std::string& state_dir = "");
    ~Server();

    // Loads the TLS certificates if any, binds and starts accepting; returns
    // the port (useful with port 0). Throws std::exception with the reason.
    std::uint16_t start();
    void stop();

    // Sends `amps` as the station's limit; the answer comes as LimitAnswered.
    // False if the station is not connected.
    bool set_limit(const std::string& id, double amps);

    // An operator's command (reset, unlock, trigger status...): `make` builds
    // the request for the station's OCPP version; `done` gets the answer's
    // status ("Accepted", "Rejected", ..., "Timeout", "Error: ...").
    // False if the station is not connected.
    using CommandDone = std::function<void(const std::string& status)>;
    bool command(const std::string& id, const std::function<outbound::Request(Version)>& make, CommandDone done);
    bool connected(const std::string& id) const;
    // A reloaded configuration: new passwords apply from the next connection;
    // stations no longer configured are disconnected; a station whose
    // identity or password at the CSMS changed reconnects its link to it.
    void set_stations(std::vector<Station> stations);
    // A reload that changes the `backend:` section (this server has one,
    // and keeps one): each station's link to the CSMS reconnects to the new
    // one, and the stations stay connected. Throws, changing nothing, when
    // the new TLS files cannot be loaded.
    void set_backend(config::BackendConfig backend);

    // Used by the sessions.
    const config::OcppConfig& config() const { return cfg_; }
    const Station* station(const std::string& id) const;
    void attach(const std::shared_ptr<ChargerSession>& s);
    bool tls() const { return tls_.has_value(); }
    const std::optional<config::BackendConfig>& backend() const { return backend_; }
    // Who may charge when fuseguard answers a station itself.
    LocalAuthorization& authorization() { return authorization_; }
    // The CSMS answered `status` for `tag` (with the expiry it gave, ISO
    // 8601): into the authorization cache, and onto disk with a backend.
    void learn_tag(const std::string& tag, const std::string& status, const std::optional<std::string>& expiry);
    // What the CSMS missed while unreachable (in state_dir; none without a backend).
    OfflineQueue* offline_queue() { return offline_queue_.get(); }
    // The charging profiles the CSMS set for station `id`, kept as the
    // station would keep them, across its reconnections.
    HeldProfiles& backend_profiles(const std::string& id) { return backend_profiles_[id]; }
    // The client context for a wss:// backend (loaded by start()).
    boost::asio::ssl::context* backend_tls() {
        return backend_ && backend_->tls && !backend_tls_.empty() ? backend_tls_.back().get() : nullptr;
    }
    // Expires when the server is destroyed: a session still finishing its
    // handshake after a reload replaced the server checks it first.
    std::weak_ptr<const bool> lifetime() const { return alive_; }
    // Connections still before their upgrade (http_session.hpp).
    PendingUpgrades& pending_upgrades() { return pending_; }
    // Logs why a connection was refused; a burst of them (a misconfigured
    // station retrying, someone guessing passwords) is summed up instead
    // of filling the journal.
    void refused(const std::string& log_line);
    void detach(const ChargerSession* s);
    void emit(StationEvent e) { sink_(std::move(e)); }

    // What went wrong on the wire, per station and kind (for /metrics):
    // "bad_frame" (not OCPP-J), "call_refused" (a station's call answered
    // with a CALLERROR), "call_error" (our call answered with one),
    // "call_timeout" (ours unanswered), "unknown_answer"; station "" for
    // "connection_refused" (who it was is not known, or not to be trusted).
    using ErrorCounts = std::map<std::pair<std::string, std::string>, std::uint64_t>;
    void count_error(const std::string& station, const char* kind) { ++errors_[{station, kind}]; }
    const ErrorCounts& error_counts() const { return errors_; }

private:
    void do_accept();
    void on_accept(const boost::system::error_code& ec, boost::asio::ip::tcp::socket socket);
    void flush_refusals();

    boost::asio::io_context& io_;
    config::OcppConfig cfg_;
    std::map<std::string, Station> stations_;
    StationSink sink_;
    ErrorCounts errors_;
    std::optional<boost::asio::ip::tcp::acceptor> acceptor_;
    std::optional<boost::asio::ssl::context> tls_;  // security profiles 2 and 3
    std::optional<config::BackendConfig> backend_;
    // The current one last. A reload's links may still be closing over an
    // earlier one, which is why none is ever destroyed before the server
    // (a reload that changes TLS files is rare; each is a few KB).
    std::vector<std::unique_ptr<boost::asio::ssl::context>> backend_tls_;
    std::map<std::string, HeldProfiles> backend_profiles_;
    LocalAuthorization authorization_;
    std::unique_ptr<OfflineQueue> offline_queue_;
    std::map<std::string, std::weak_ptr<ChargerSession>> sessions_;
    PendingUpgrades pending_;
    boost::asio::steady_timer accept_retry_;
    boost::asio::steady_timer refusals_timer_;
    int refusals_logged_ = 0, refusals_unlogged_ = 0;  // in the current window
    std::chrono::steady_clock::time_point accept_failure_logged_{};
    std::shared_ptr<const bool> alive_ = std::make_shared<const bool>(true);
};

}  // namespace fuseguard::ocpp
