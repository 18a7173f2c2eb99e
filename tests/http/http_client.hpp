#pragma once
// The client side of the HTTP tests: a blocking socket to 127.0.0.1 that
// talks HTTP, or byte for byte when a test sends what no well-behaved
// client would.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>

#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <string>

namespace fuseguard::test {

// A blocking connection with a receive timeout, so that no test can hang.
// It reads with recv(2) itself: Asio's blocking reads wait on poll() with no
// timeout and would ignore SO_RCVTIMEO.
class Client {
public:
    explicit Client(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(5)) : socket_(io_) {
        socket_.connect({boost::asio::ip::make_address("127.0.0.1"), port});
        timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
        ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    void send(const std::string& bytes) { boost::asio::write(socket_, boost::asio::buffer(bytes)); }
    // One response, or an exception (closed, timed out, not HTTP).
    boost::beast::http::response<boost::beast::http::string_body> response(bool head = false) {
        boost::beast::http::response_parser<boost::beast::http::string_body> parser;
        parser.body_limit(64 << 20);
        parser.skip(head);
        parser.eager(true);
        while (!parser.is_done()) {
            if (pending_.empty() && !fill()) throw std::runtime_error("closed or timed out before a whole response");
            boost::system::error_code ec;
            const auto used = parser.put(boost::asio::buffer(pending_), ec);
            pending_.erase(0, used);
            if (ec == boost::beast::http::error::need_more) {
                if (!fill()) throw std::runtime_error("closed or timed out within a response");
                continue;
            }
            if (ec) throw boost::system::system_error(ec);
        }
        return parser.release();
    }
    boost::beast::http::response<boost::beast::http::string_body> get(const std::string& target) {
        send("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        return response();
    }
    // A JSON POST, with the session cookie when there is one.
    boost::beast::http::response<boost::beast::http::string_body> post(const std::string& target, const std::string& json,
                                                                         const std::string& cookie = "") {
        send("POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
             (cookie.empty() ? "" : "Cookie: " + cookie + "\r\n") + "Content-Length: " + std::to_string(json.size()) +
             "\r\n\r\n" + json);
        return response();
    }
    // Bytes up to and including `marker`, or nothing when the connection
    // closes or times out first.
    std::string read_until(const std::string& marker) {
        while (pending_.find(marker) == std::string::npos)
            if (!fill()) return {};
        const auto end = pending_.find(marker) + marker.size();
        auto out = pending_.substr(0, end);
        pending_.erase(0, end);
        return out;
    }
    // True once the server has closed the connection (EOF or reset); false
    // when it is still open at the timeout.
    bool closed_by_server() {
        pending_.clear();
        char buf[4096];
        for (;;) {
            const auto n = ::recv(socket_.native_handle(), buf, sizeof buf, 0);
            if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
            if (n < 0) return false;
        }
    }
    boost::asio::ip::tcp::socket& socket() { return socket_; }

private:
    // More bytes from the server; false on close or timeout.
    bool fill() {
        char buf[16384];
        const auto n = ::recv(socket_.native_handle(), buf, sizeof buf, 0);
        if (n <= 0) return false;
        pending_.append(buf, static_cast<std::size_t>(n));
        return true;
    }

    boost::asio::io_context io_;
    boost::asio::ip::tcp::socket socket_;
    std::string pending_;
};

}  // namespace fuseguard::test
