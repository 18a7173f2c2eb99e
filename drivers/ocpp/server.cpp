#include "server.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>

#include "charger_session.hpp"
#include "drivers/log.hpp"
#include "http_session.hpp"
#include "limit_profiles.hpp"
#include "profile_rules.hpp"
#include "v16/set_charging_profile.hpp"
#include "v201/set_charging_profile.hpp"

namespace fuseguard::ocpp {

namespace net = boost::asio;
using tcp = net::ip::tcp;

Server::Server(net::io_context& io, config::OcppConfig cfg, std::vector<Station> stations, StationSink sink)
    : io_(io), cfg_(std::move(cfg)), sink_(std::move(sink)) {
    for (auto& s : stations) stations_.emplace(s.id, std::move(s));
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

void Server::on_accept(const boost::system::error_code& ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_) return;  // stopping
    if (!ec) {
        if (tls_)
            std::make_shared<HttpSession<boost::beast::ssl_stream<boost::beast::tcp_stream>>>(*this, std::move(socket), *tls_)
                ->run();
        else
            std::make_shared<HttpSession<boost::beast::tcp_stream>>(*this, std::move(socket))->run();
    }
    do_accept();  // re-armed after every accept, failed or not
}

void Server::set_stations(std::vector<Station> stations) {
    stations_.clear();
    for (auto& s : stations) stations_.emplace(s.id, std::move(s));
    for (auto it = sessions_.begin(); it != sessions_.end();) {
        auto s = it->second.lock();
        if (!stations_.count(it->first)) {
            it = sessions_.erase(it);
            if (s) s->close("no longer in the configuration");
        } else {
            ++it;
        }
    }
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
    const Version v = s->version();
    const ChargingProfile profile = station_limit_profile(cfg_.profile_purpose, amps);
    // Our own composition breaking a station stack's rules is a defect of
    // ours: say so, and let the station count as refusing (at capacity).
    if (auto why = profile_refusal(profile, ProfileTarget{}, s->capabilities(), v)) {
        log::error("ocpp: " + id + ": not sending a limit profile a station would refuse: " + *why);
        net::post(io_, [this, id, amps, why = *why, alive = std::weak_ptr<const bool>(alive_)] {
            if (!alive.expired()) emit(LimitAnswered{id, amps, false, "not sent: " + why, false});
        });
        return true;
    }
    const nlohmann::json payload = v == Version::V16 ? v16::SetChargingProfileRequest{0, profile}.to_json()
                                                     : v201::SetChargingProfileRequest{0, profile}.to_json();
    s->call("SetChargingProfile", std::move(payload), [this, id, amps, v](const ChargerSession::Answer& a) {
        LimitAnswered ans{id, amps, false, "timeout", true};
        if (const auto* r = std::get_if<CallResult>(&a)) {
            std::variant<std::string, PayloadError> status;
            if (v == Version::V16) {
                auto res = v16::SetChargingProfileResponse::from_json(r->payload);
                if (auto* ok = std::get_if<v16::SetChargingProfileResponse>(&res)) status = ok->status;
                else status = std::get<PayloadError>(res);
            } else {
                auto res = v201::SetChargingProfileResponse::from_json(r->payload);
                if (auto* ok = std::get_if<v201::SetChargingProfileResponse>(&res)) status = ok->status;
                else status = std::get<PayloadError>(res);
            }
            ans.unanswered = !std::holds_alternative<std::string>(status);
            if (auto* st = std::get_if<std::string>(&status)) {
                ans.accepted = *st == "Accepted";
                ans.detail = *st;
            } else {
                ans.detail = "invalid answer: " + std::get<PayloadError>(status).description;
            }
        } else if (const auto* e = std::get_if<CallError>(&a)) {
            ans.unanswered = false;
            ans.detail = "CALLERROR " + std::string(name(e->code, v)) + ": " + e->description;
        }
        emit(std::move(ans));
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
