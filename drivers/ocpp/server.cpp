#include "server.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/beast/core/bind_handler.hpp>

#include "backend_link.hpp"
#include "charger_session.hpp"
#include "drivers/iso8601.hpp"
#include "drivers/log.hpp"
#include "http_session.hpp"

namespace fuseguard::ocpp {

namespace net = boost::asio;
using tcp = net::ip::tcp;

Server::Server(net::io_context& io, config::OcppConfig cfg, std::vector<Station> stations, StationSink sink,
               std::optional<config::BackendConfig> backend, std::optional<config::AuthorizationConfig> authorization,
               const std::string& state_dir)
    : io_(io),
      cfg_(std::move(cfg)),
      sink_(std::move(sink)),
      backend_(std::move(backend)),
      authorization_(std::move(authorization), backend_.has_value()),
      accept_retry_(io),
      refusals_timer_(io) {
    for (auto& s : stations) stations_.emplace(s.id, std::move(s));
    if (backend_) {
        offline_queue_ = std::make_unique<OfflineQueue>(state_dir.empty() ? ":memory:" : state_dir + "/backend_queue.sqlite");
        for (const auto& t : offline_queue_->accepted_tags())
            authorization_.learn(t.tag, "Accepted", t.expiry ? parse_iso8601(*t.expiry) : std::nullopt);
    }
}

void Server::learn_tag(const std::string& tag, const std::string& status, const std::optional<std::string>& expiry) {
    // An expiry that cannot be read is not taken as "never": the tag is kept
    // only until the CSMS is asked again (one day at most).
    std::optional<LocalAuthorization::SysTime> until;
    if (expiry) until = parse_iso8601(*expiry).value_or(std::chrono::system_clock::now() + std::chrono::hours(24));
    const auto evicted = authorization_.learn(tag, status, until);
    if (!offline_queue_) return;
    if (evicted) offline_queue_->drop_accepted_tag(*evicted);
    if (status == "Accepted") offline_queue_->keep_accepted_tag(tag, until ? std::optional(iso8601(*until)) : std::nullopt);
    else offline_queue_->drop_accepted_tag(tag);
}

Server::~Server() { stop(); }

std::uint16_t Server::start() {
    if (cfg_.tls) {
        // OCPP security profiles 2 and 3 require TLS 1.2 or later.
        tls_.emplace(net::ssl::context::tls_server);
        tls_->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                          net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 | net::ssl::context::no_tlsv1_1);
        tls_->use_certificate_chain_file(cfg_.tls->cert);
        tls_->use_private_key_file(cfg_.tls->key, net::ssl::context::pem);
        if (cfg_.tls->client_ca) {
            tls_->load_verify_file(*cfg_.tls->client_ca);
            tls_->set_verify_mode(net::ssl::verify_peer | net::ssl::verify_fail_if_no_peer_cert);
        }
    }
    if (backend_ && backend_->tls)
        backend_tls_.push_back(std::make_unique<net::ssl::context>(backend_tls_context(backend_->ca, backend_->cert, backend_->key)));
    const tcp::endpoint ep{net::ip::make_address(cfg_.listen_host), cfg_.listen_port};
    acceptor_.emplace(io_);
    acceptor_->open(ep.protocol());
    acceptor_->set_option(net::socket_base::reuse_address(true));
    acceptor_->bind(ep);
    acceptor_->listen(net::socket_base::max_listen_connections);
    do_accept();
    return acceptor_->local_endpoint().port();
}

void Server::stop() {
    accept_retry_.cancel();
    refusals_timer_.cancel();
    flush_refusals();
    if (acceptor_) {
        boost::system::error_code ignored;
        acceptor_->close(ignored);
        acceptor_.reset();
    }
    auto sessions = std::move(sessions_);
    for (auto& [id, weak] : sessions)
        if (auto s = weak.lock()) s->close("fuseguard is stopping");
}

void Server::do_accept() {
    acceptor_->async_accept(io_, boost::beast::bind_front_handler(&Server::on_accept, this));
}

namespace {
// Refusals logged one by one per window; the rest are counted.
constexpr int kRefusalsLogged = 10;
constexpr auto kRefusalWindow = std::chrono::seconds(10);
}  // namespace

void Server::on_accept(const boost::system::error_code& ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_) return;  // stopping
    if (ec) {
        // Out of file descriptors (or another failure of accept): the
        // waiting connection stays in the backlog and the listening socket
        // stays readable, so accepting again at once would spin. Close the
        // slowest pending upgrade if there is one, and try again shortly.
        const auto now = std::chrono::steady_clock::now();
        const bool made_room = pending_.drop_oldest(now);
        if (now - accept_failure_logged_ >= std::chrono::seconds(10)) {
            accept_failure_logged_ = now;
            log::error("ocpp: cannot accept connections: " + ec.message() +
                       (ec == net::error::no_descriptors ? " (raise LimitNOFILE, docs/installation.md)" : ""));
        }
        accept_retry_.expires_after(made_room ? std::chrono::milliseconds(0) : std::chrono::milliseconds(100));
        accept_retry_.async_wait([this, alive = std::weak_ptr<const bool>(alive_)](const boost::system::error_code& e) {
            if (!e && alive.lock() && acceptor_) do_accept();
        });
        return;
    }
    // OCPP frames are small and answered one at a time: Nagle's wait for
    // an acknowledgement would only delay them (ws and ocpp-rpc set this too).
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    if (tls_)
        std::make_shared<HttpSession<boost::beast::ssl_stream<boost::beast::tcp_stream>>>(*this, std::move(socket), *tls_)
            ->run();
    else
        std::make_shared<HttpSession<boost::beast::tcp_stream>>(*this, std::move(socket))->run();
    do_accept();
}

void Server::refused(const std::string& log_line) {
    count_error("", "connection_refused");
    if (refusals_logged_ == 0 && refusals_unlogged_ == 0) {
        refusals_timer_.expires_after(kRefusalWindow);
        refusals_timer_.async_wait([this, alive = std::weak_ptr<const bool>(alive_)](const boost::system::error_code& e) {
            if (!e && alive.lock()) flush_refusals();
        });
    }
    if (refusals_logged_ < kRefusalsLogged) {
        ++refusals_logged_;
        log::warning(log_line);
    } else {
        ++refusals_unlogged_;
    }
}

void Server::flush_refusals() {
    if (refusals_unlogged_ > 0)
        log::warning("ocpp: " + std::to_string(refusals_unlogged_) + " more connections refused in the last " +
                     std::to_string(kRefusalWindow.count()) + " s, not logged one by one");
    refusals_logged_ = refusals_unlogged_ = 0;
}

void Server::set_stations(std::vector<Station> stations) {
    auto before = std::move(stations_);
    stations_.clear();
    for (auto& s : stations) stations_.emplace(s.id, std::move(s));
    for (auto it = sessions_.begin(); it != sessions_.end();) {
        auto s = it->second.lock();
        const auto now = stations_.find(it->first);
        if (now == stations_.end()) {
            it = sessions_.erase(it);
            if (s) s->close("no longer in the configuration");
            continue;
        }
        const auto was = before.find(it->first);
        const bool same_upstream = was != before.end() && was->second.backend_identity == now->second.backend_identity &&
                                   was->second.backend_password == now->second.backend_password;
        if (s && backend_ && !same_upstream) s->reopen_backend("its identity or password at the CSMS changed");
        ++it;
    }
}

void Server::set_backend(config::BackendConfig backend) {
    if (backend.tls)
        backend_tls_.push_back(std::make_unique<net::ssl::context>(backend_tls_context(backend.ca, backend.cert, backend.key)));
    backend_ = std::move(backend);
    for (auto& [id, weak] : sessions_)
        if (auto s = weak.lock()) s->reopen_backend("the backend configuration changed");
}

const Server::Station* Server::station(const std::string& id) const {
    auto it = stations_.find(id);
    return it == stations_.end() ? nullptr : &it->second;
}

void Server::attach(const std::shared_ptr<ChargerSession>& s) {
    // A station that reconnects replaces its old session cleanly. The new
    // one takes the slot first: closing the old one detaches it, which must
    // then leave the slot (and the map node) alone.
    std::shared_ptr<ChargerSession> old;
    {
        auto& slot = sessions_[s->id()];
        old = slot.lock();
        slot = s;
    }
    if (old && old != s) old->close("replaced by a new connection");
    emit(StationConnected{s->id(), s->version()});
}

void Server::detach(const ChargerSession* s) {
    auto it = sessions_.find(s->id());
    if (it == sessions_.end()) return;
    if (auto cur = it->second.lock(); !cur || cur.get() == s) sessions_.erase(it);
}

bool Server::connected(const std::string& id) const {
    auto it = sessions_.find(id);
    return it != sessions_.end() && !it->second.expired();
}

bool Server::set_limit(const std::string& id, double amps) {
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return false;
    auto s = it->second.lock();
    if (!s) return false;
    s->apply_limit(amps, [this, id, amps](const ChargerSession::LimitOutcome& o) {
        emit(LimitAnswered{id, amps, o.accepted, o.detail, o.unanswered});
    });
    return true;
}

bool Server::command(const std::string& id, const std::function<outbound::Request(Version)>& make, CommandDone done) {
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return false;
    auto s = it->second.lock();
    if (!s) return false;
    auto req = make(s->version());
    const Version v = s->version();
    s->call(std::move(req.action), std::move(req.payload), [done = std::move(done), v](const ChargerSession::Answer& a) {
        if (const auto* r = std::get_if<CallResult>(&a)) {
            const auto status = outbound::answer_status(r->payload);
            done(status.empty() ? "Error: answer without a status" : status);
        } else if (const auto* e = std::get_if<CallError>(&a)) {
            done("Error: " + std::string(name(e->code, v)) + " " + e->description);
        } else {
            done("Timeout");
        }
    });
    return true;
}

}  // namespace fuseguard::ocpp
