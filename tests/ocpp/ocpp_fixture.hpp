#pragma once
// Our OCPP server on a real io_context thread, and a real Beast websocket
// client speaking to it over 127.0.0.1, with every wait bounded.
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <sys/socket.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include <doctest/doctest.h>

#include "drivers/ocpp/server.hpp"

namespace fuseguard::test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;

class OcppFixture {
public:
    explicit OcppFixture(std::vector<ocpp::Server::Station> stations, config::OcppConfig cfg = defaults(),
                         std::optional<config::BackendConfig> backend = std::nullopt,
                         std::optional<config::AuthorizationConfig> authorization = std::nullopt) {
        cfg.listen_host = "127.0.0.1";
        cfg.listen_port = 0;
        server_ = std::make_unique<ocpp::Server>(
            io_, cfg, std::move(stations),
            [this](ocpp::StationEvent e) {
                std::lock_guard lock(mutex_);
                events_.push_back(std::move(e));
                cv_.notify_all();
            },
            std::move(backend), std::move(authorization));
        port = server_->start();
        thread_ = std::thread([this] { io_.run(); });
    }
    ~OcppFixture() {
        net::post(io_, [this] {
            server_->stop();
            io_.stop();
        });
        thread_.join();
    }
    static config::OcppConfig defaults() {
        config::OcppConfig c;
        c.ping_interval_s = 5;
        c.offline_after_s = 10;
        return c;
    }

    // Runs `f` on the server's thread.
    template <class F>
    void on_server(F f) {
        net::post(io_, [this, f] { f(*server_); });
    }

    // The first event of type T (matching `pred`) not yet taken, within 5 s.
    template <class T, class Pred>
    std::optional<T> wait_for(Pred pred, std::chrono::milliseconds deadline = std::chrono::seconds(5)) {
        std::unique_lock lock(mutex_);
        std::optional<T> found;
        cv_.wait_for(lock, deadline, [&] {
            for (auto it = events_.begin(); it != events_.end(); ++it)
                if (auto* e = std::get_if<T>(&*it); e && pred(*e)) {
                    found = *e;
                    events_.erase(it);
                    return true;
                }
            return false;
        });
        return found;
    }
    template <class T>
    std::optional<T> next(std::chrono::milliseconds deadline = std::chrono::seconds(5)) {
        return wait_for<T>([](const T&) { return true; }, deadline);
    }

    std::uint16_t port = 0;

private:
    net::io_context io_;
    std::unique_ptr<ocpp::Server> server_;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<ocpp::StationEvent> events_;
};

// The HTTP status our server answers to a websocket upgrade request.
inline int upgrade_status(std::uint16_t port, const std::string& target, const std::string& protocol = "ocpp1.6",
                          std::optional<std::string> authorization = std::nullopt) {
    net::io_context ioc;
    net::ip::tcp::socket sock(ioc);
    sock.connect({net::ip::make_address("127.0.0.1"), port});
    timeval tv{5, 0};
    ::setsockopt(sock.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::upgrade, "websocket");
    req.set(http::field::connection, "upgrade");
    req.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
    req.set(http::field::sec_websocket_version, "13");
    req.set(http::field::sec_websocket_protocol, protocol);
    if (authorization) req.set(http::field::authorization, *authorization);
    http::write(sock, req);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    beast::error_code ec;
    http::read(sock, buf, res, ec);
    return ec ? -1 : static_cast<int>(res.result_int());
}

// A station: a synchronous Beast client whose reads give up after 5 s.
class StationClient {
public:
    // The HTTP status of the upgrade: 101 when the websocket is open.
    int connect(std::uint16_t port, const std::string& target, const std::string& protocol = "ocpp1.6",
                std::optional<std::string> authorization = std::nullopt) {
        auto& sock = ws_.next_layer();
        sock.connect({net::ip::make_address("127.0.0.1"), port});
        timeval tv{5, 0};
        ::setsockopt(sock.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ws_.set_option(websocket::stream_base::decorator([=](websocket::request_type& req) {
            req.set(http::field::sec_websocket_protocol, protocol);
            if (authorization) req.set(http::field::authorization, *authorization);
        }));
        ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
            pings += kind == websocket::frame_type::ping;
        });
        websocket::response_type res;
        beast::error_code ec;
        ws_.handshake(res, "127.0.0.1", target, ec);
        if (ec) return -1;  // Beast 1.74 does not hand back a declined answer: see upgrade_status()
        subprotocol = std::string(res[http::field::sec_websocket_protocol]);
        return 101;
    }
    void send(const std::string& text) {
        ws_.text(true);
        ws_.write(net::buffer(text));
    }
    // One text message in `pieces` websocket frames (a continuation per piece).
    void send_in_frames(const std::string& text, std::size_t pieces) {
        ws_.text(true);
        const std::size_t step = (text.size() + pieces - 1) / pieces;
        for (std::size_t at = 0; at < text.size(); at += step)
            ws_.write_some(at + step >= text.size(), net::buffer(text.data() + at, std::min(step, text.size() - at)));
    }
    void send_binary(const std::string& bytes) {
        ws_.binary(true);
        ws_.write(net::buffer(bytes));
    }
    // A send the server may cut short: it can close the connection before it has read the whole
    // frame (an oversized one), and the write then fails with a broken pipe or a reset.
    bool try_send(const std::string& text) {
        ws_.text(true);
        beast::error_code ec;
        ws_.write(net::buffer(text), ec);
        return !ec;
    }
    // The next text frame, or nothing if the connection ended or went quiet.
    std::optional<std::string> receive() {
        beast::flat_buffer buf;
        beast::error_code ec;
        ws_.read(buf, ec);
        if (ec) return std::nullopt;
        return beast::buffers_to_string(buf.data());
    }
    std::optional<nlohmann::json> receive_json() {
        auto t = receive();
        if (!t) return std::nullopt;
        return nlohmann::json::parse(*t);
    }
    // The TCP socket under the websocket, to misbehave below the protocol.
    net::ip::tcp::socket& raw_socket() { return ws_.next_layer(); }
    std::string subprotocol;
    int pings = 0;  // seen (and answered) while reading

private:
    net::io_context ioc_;
    websocket::stream<net::ip::tcp::socket> ws_{ioc_};
};

}  // namespace fuseguard::test
