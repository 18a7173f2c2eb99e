#pragma once
// The HTTP part of a station's connection (plain or TLS): the TLS handshake
// when there is one, then the upgrade request, checked for the path, the
// identity, the password or client certificate, and the subprotocol; then
// either a 404/401/400 answer or a WebsocketSession (SPEC 5).
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "drivers/log.hpp"
#include "pending_upgrades.hpp"
#include "rpc.hpp"
#include "server.hpp"
#include "websocket_session.hpp"

namespace fuseguard::ocpp {

class Server;

// "Basic " + base64("id:password"), as a station sends it.
std::string basic_auth(const std::string& id, const std::string& password);

struct Refusal {
    boost::beast::http::status status;
    std::string why;       // told to the client
    std::string log_line;  // told to the installer
};
struct Upgrade {
    std::string id;
    Version version;
};
// `certificate_cn`: the common name of the client certificate, when TLS
// asked for one (security profile 3).
std::variant<Upgrade, Refusal> check_upgrade(const boost::beast::http::request<boost::beast::http::empty_body>& req,
                                             const Server& server, const std::string& peer,
                                             const std::optional<std::string>& certificate_cn);
// The common name of the peer's certificate, if it sent one.
std::optional<std::string> peer_common_name(SSL* ssl);

template <class Next>
class HttpSession : public PendingUpgrades::Entry, public std::enable_shared_from_this<HttpSession<Next>> {
public:
    static constexpr bool kTls = !std::is_same_v<Next, boost::beast::tcp_stream>;

    template <class... Args>
    HttpSession(Server& server, Args&&... args)
        : stream_(std::forward<Args>(args)...), server_(server), server_alive_(server.lifetime()) {}

    void run() {
        // A client that opens the connection and never finishes the upgrade
        // costs a socket for ten seconds at most, less when others wait
        // (pending_upgrades.hpp).
        server_.pending_upgrades().admit(this->shared_from_this(), PendingUpgrades::Clock::now());
        boost::beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(10));
        if constexpr (kTls) {
            stream_.async_handshake(boost::asio::ssl::stream_base::server,
                                    boost::beast::bind_front_handler(&HttpSession::on_handshake, this->shared_from_this()));
        } else {
            do_read();
        }
    }

private:
    void on_handshake(boost::beast::error_code ec) {
        if (ec) {
            if (!server_alive_.expired()) server_.refused("ocpp: TLS handshake with " + peer() + " failed: " + ec.message());
            return;
        }
        do_read();
    }

    void do_read() {
        parser_.emplace();
        parser_->header_limit(8 * 1024);
        boost::beast::http::async_read(stream_, buffer_, *parser_,
                                       boost::beast::bind_front_handler(&HttpSession::on_read, this->shared_from_this()));
    }

    void on_read(boost::beast::error_code ec, std::size_t) {
        if (ec) return;  // timed out or closed before a request: nothing to answer
        if (server_alive_.expired()) return;  // the server went away meanwhile (reload)
        auto req = parser_->release();
        std::optional<std::string> cn;
        if constexpr (kTls) cn = peer_common_name(stream_.native_handle());
        auto checked = check_upgrade(req, server_, peer(), cn);
        if (auto* r = std::get_if<Refusal>(&checked)) return refuse(std::move(*r));
        const auto& up = std::get<Upgrade>(checked);
        boost::beast::get_lowest_layer(stream_).expires_never();
        std::make_shared<WebsocketSession<Next>>(std::move(stream_), server_, up.id, up.version)->run(std::move(req));
    }

    void drop() override { boost::beast::get_lowest_layer(stream_).close(); }

    void refuse(Refusal r) {
        namespace http = boost::beast::http;
        server_.refused(r.log_line);
        response_ = std::make_shared<http::response<http::string_body>>(r.status, 11);
        response_->set(http::field::server, "fuseguard");
        response_->set(http::field::content_type, "text/plain");
        if (r.status == http::status::unauthorized) response_->set(http::field::www_authenticate, "Basic realm=\"fuseguard\"");
        response_->body() = r.why + "\n";
        response_->keep_alive(false);
        response_->prepare_payload();
        http::async_write(stream_, *response_, boost::beast::bind_front_handler(&HttpSession::on_write, this->shared_from_this()));
    }

    void on_write(boost::beast::error_code ec, std::size_t) {
        if (ec) return;
        boost::beast::error_code ignored;
        boost::beast::get_lowest_layer(stream_).socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
        // Read until the client closes too: closing with its bytes unread would
        // reset the connection and it might never see our answer.
        boost::beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
        do_drain();
    }

    void do_drain() {
        boost::beast::get_lowest_layer(stream_).async_read_some(
            buffer_.prepare(1024), [self = this->shared_from_this()](boost::beast::error_code ec, std::size_t) {
                if (!ec) self->do_drain();
            });
    }

    std::string peer() {
        boost::beast::error_code e;
        auto ep = boost::beast::get_lowest_layer(stream_).socket().remote_endpoint(e);
        return e ? std::string("?") : ep.address().to_string();
    }

    Next stream_;
    boost::beast::flat_buffer buffer_;
    std::optional<boost::beast::http::request_parser<boost::beast::http::empty_body>> parser_;
    std::shared_ptr<boost::beast::http::response<boost::beast::http::string_body>> response_;
    Server& server_;
    std::weak_ptr<const bool> server_alive_;
};

}  // namespace fuseguard::ocpp
