#include "backend_link.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <algorithm>
#include <cmath>
#include <list>
#include <random>

#include "config/config.hpp"
#include "drivers/log.hpp"
#include "websocket_session.hpp"

namespace fuseguard::ocpp {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

namespace {

constexpr auto kConnectTimeout = std::chrono::seconds(10);
// A CSMS that takes the TCP connection but never completes the upgrade is
// given up on after this, and retried later.
constexpr auto kHandshakeTimeout = std::chrono::seconds(10);
// Beast pings an idle CSMS at half of this and drops it at the whole.
constexpr auto kIdleTimeout = std::chrono::seconds(60);

using PlainWs = websocket::stream<beast::tcp_stream>;
using TlsWs = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

template <class Ws>
class Link final : public BackendLink, public std::enable_shared_from_this<Link<Ws>> {
public:
    Link(net::any_io_executor ex, net::ssl::context* tls, Target target, Handlers handlers)
        : ex_(ex),
          tls_(tls),
          target_(std::move(target)),
          handlers_(std::move(handlers)),
          resolver_(ex),
          retry_timer_(ex),
          random_(std::random_device{}()) {}

    void start() override { do_resolve(); }

    void stop() override {
        if (stopped_) return;
        stopped_ = true;
        open_ = false;
        handlers_ = {};
        retry_timer_.cancel();
        resolver_.cancel();
        if (ws_) {
            beast::error_code ignored;
            beast::get_lowest_layer(*ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
            beast::get_lowest_layer(*ws_).close();
        }
    }

    bool send(std::string text) override {
        if (!open_) return false;
        queued_bytes_ += text.size();
        if (queued_bytes_ > kMaxQueuedBytes) {
            fail(ws_, "the CSMS is not reading (over 1 MiB queued)");
            return false;
        }
        queue_.push_back(std::move(text));
        if (!writing_) do_write();
        return true;
    }

private:
    using WsPtr = std::shared_ptr<Ws>;

    WsPtr make_stream() {
        if constexpr (std::is_same_v<Ws, TlsWs>) return std::make_shared<Ws>(ex_, *tls_);
        else return std::make_shared<Ws>(ex_);
    }

    void do_resolve() {
        if (stopped_) return;
        ws_ = make_stream();
        resolver_.async_resolve(target_.host, std::to_string(target_.port),
                                [self = this->shared_from_this(), ws = ws_](beast::error_code ec,
                                                                           tcp::resolver::results_type results) {
                                    self->on_resolve(ws, ec, std::move(results));
                                });
    }

    void on_resolve(const WsPtr& ws, beast::error_code ec, tcp::resolver::results_type results) {
        if (ws != ws_ || stopped_) return;
        if (ec) return fail(ws, "cannot resolve " + target_.host + ": " + ec.message());
        beast::get_lowest_layer(*ws).expires_after(kConnectTimeout);
        beast::get_lowest_layer(*ws).async_connect(
            results, [self = this->shared_from_this(), ws](beast::error_code connect_ec, const tcp::endpoint&) {
                self->on_connect(ws, connect_ec);
            });
    }

    void on_connect(const WsPtr& ws, beast::error_code ec) {
        if (ws != ws_ || stopped_) return;
        if (ec) return fail(ws, "cannot connect: " + ec.message());
        beast::error_code ignored;  // small frames, one at a time: no Nagle (server.cpp)
        beast::get_lowest_layer(*ws).socket().set_option(tcp::no_delay(true), ignored);
        if constexpr (std::is_same_v<Ws, TlsWs>) {
            auto& tls = ws->next_layer();
            // SNI, and the peer's certificate must name the host we asked for.
            if (!::SSL_set_tlsext_host_name(tls.native_handle(), target_.host.c_str()))
                return fail(ws, "cannot set the TLS server name");
            tls.set_verify_callback(net::ssl::host_name_verification(target_.host));
            beast::get_lowest_layer(*ws).expires_after(kHandshakeTimeout);
            tls.async_handshake(net::ssl::stream_base::client,
                                [self = this->shared_from_this(), ws](beast::error_code tls_ec) {
                                    if (ws != self->ws_ || self->stopped_) return;
                                    if (tls_ec) return self->fail(ws, "TLS handshake failed: " + tls_ec.message());
                                    self->do_upgrade(ws);
                                });
        } else {
            do_upgrade(ws);
        }
    }

    void do_upgrade(const WsPtr& ws) {
        beast::get_lowest_layer(*ws).expires_never();  // the websocket's own timeouts from here
        auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::client);
        timeouts.handshake_timeout = kHandshakeTimeout;
        timeouts.idle_timeout = kIdleTimeout;
        timeouts.keep_alive_pings = true;
        ws->set_option(timeouts);
        ws->read_message_max(kMaxFrameBytes);
        const std::string proto(subprotocol(target_.version));
        ws->set_option(websocket::stream_base::decorator(
            [proto, auth = target_.authorization](websocket::request_type& req) {
                req.set(http::field::sec_websocket_protocol, proto);
                req.set(http::field::user_agent, "fuseguard");
                if (auth) req.set(http::field::authorization, *auth);
            }));
        auto res = std::make_shared<websocket::response_type>();
        const std::string host = target_.host.find(':') != std::string::npos ? "[" + target_.host + "]" : target_.host;
        ws->async_handshake(*res, host + ":" + std::to_string(target_.port), target_.path,
                            [self = this->shared_from_this(), ws, res](beast::error_code ec) {
                                self->on_upgrade(ws, *res, ec);
                            });
    }

    void on_upgrade(const WsPtr& ws, const websocket::response_type& res, beast::error_code ec) {
        if (ws != ws_ || stopped_) return;
        if (ec) {
            if (res.result_int() != 0 && res.result() != http::status::switching_protocols)
                return fail(ws, "refused the connection: HTTP " + std::to_string(res.result_int()) + " " +
                                    std::string(res.reason()));
            return fail(ws, "websocket handshake failed: " + ec.message());
        }
        const std::string proto(subprotocol(target_.version));
        if (res[http::field::sec_websocket_protocol] != proto)
            return fail(ws, "the CSMS did not agree to " + proto + " (it answered '" +
                                std::string(res[http::field::sec_websocket_protocol]) + "')");
        open_ = true;
        attempts_ = 0;
        if (handlers_.opened) handlers_.opened();
        do_read(ws);
    }

    // In pieces, as station sessions read (kReadPiece, websocket_session.hpp).
    void do_read(const WsPtr& ws) {
        ws->async_read_some(buffer_, kReadPiece, [self = this->shared_from_this(), ws](beast::error_code ec, std::size_t) {
            self->on_read(ws, ec);
        });
    }

    void on_read(const WsPtr& ws, beast::error_code ec) {
        if (ws != ws_ || stopped_) return;
        if (ec) {
            if (ec == websocket::error::closed)
                return fail(ws, "closed by the CSMS" + (ws->reason().reason.empty()
                                                            ? std::string()
                                                            : ": " + std::string(ws->reason().reason.c_str())));
            if (ec == websocket::error::message_too_big) return fail(ws, "the CSMS sent a frame over 64 KiB");
            return fail(ws, "connection lost: " + ec.message());
        }
        if (!ws->is_message_done()) return do_read(ws);
        std::string text = beast::buffers_to_string(buffer_.data());
        read_done(buffer_);
        if (!ws->got_text()) {
            log::warning("ocpp: backend sent a binary frame; OCPP-J frames are text, ignored");
        } else if (handlers_.received) {
            handlers_.received(std::move(text));
            if (ws != ws_ || stopped_) return;  // the handler stopped us
        }
        do_read(ws);
    }

    void do_write() {
        if (queue_.empty() || !open_) return;
        writing_ = true;
        ws_->text(true);
        ws_->async_write(net::buffer(queue_.front()),
                         [self = this->shared_from_this(), ws = ws_](beast::error_code ec, std::size_t) {
                             if (ws != self->ws_ || self->stopped_) return;
                             self->writing_ = false;
                             if (ec) return self->fail(ws, "write failed: " + ec.message());
                             self->queued_bytes_ -= self->queue_.front().size();
                             self->queue_.pop_front();
                             self->do_write();
                         });
    }

    // This attempt (or open link) is over: tell the session, try again later.
    void fail(const WsPtr& ws, const std::string& cause) {
        if (ws != ws_ || stopped_) return;
        open_ = false;
        writing_ = false;
        queue_.clear();
        queued_bytes_ = 0;
        read_done(buffer_);
        beast::error_code ignored;
        beast::get_lowest_layer(*ws).socket().shutdown(tcp::socket::shutdown_both, ignored);
        beast::get_lowest_layer(*ws).close();
        ws_.reset();
        // 1, 2, 4 ... s up to the maximum, each drawn from its upper half.
        const double ceiling = std::min(target_.reconnect_max_s, std::pow(2.0, std::min(attempts_, 16)));
        ++attempts_;
        const double delay = std::uniform_real_distribution<double>(ceiling / 2, ceiling)(random_);
        retry_timer_.expires_after(config::seconds(delay));
        retry_timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
            if (!ec) self->do_resolve();
        });
        if (handlers_.lost) handlers_.lost(cause);
    }

    net::any_io_executor ex_;
    net::ssl::context* tls_;
    Target target_;
    Handlers handlers_;
    tcp::resolver resolver_;
    net::steady_timer retry_timer_;
    std::minstd_rand random_;
    WsPtr ws_;  // the current attempt; handlers of an older one find it replaced
    beast::flat_buffer buffer_;
    std::list<std::string> queue_;  // a list: usually empty (see ChargerSession::calls_)
    std::size_t queued_bytes_ = 0;
    bool writing_ = false;
    bool stopped_ = false;
    int attempts_ = 0;
};

}  // namespace

std::shared_ptr<BackendLink> BackendLink::create(net::any_io_executor ex, net::ssl::context* tls, Target target,
                                                 Handlers handlers) {
    if (tls) return std::make_shared<Link<TlsWs>>(ex, tls, std::move(target), std::move(handlers));
    return std::make_shared<Link<PlainWs>>(ex, nullptr, std::move(target), std::move(handlers));
}

net::ssl::context backend_tls_context(const std::optional<std::string>& ca, const std::optional<std::string>& cert,
                                      const std::optional<std::string>& key) {
    net::ssl::context ctx(net::ssl::context::tls_client);
    ctx.set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                    net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 | net::ssl::context::no_tlsv1_1);
    if (ca) ctx.load_verify_file(*ca);
    else ctx.set_default_verify_paths();
    ctx.set_verify_mode(net::ssl::verify_peer);
    if (cert) ctx.use_certificate_chain_file(*cert);
    if (key) ctx.use_private_key_file(*key, net::ssl::context::pem);
    return ctx;
}

}  // namespace fuseguard::ocpp
