#pragma once
// The HTTP server for the dashboard and /metrics (SPEC 9, docs/dashboard.md),
// on the controller's io_context: what it serves is read on the thread that
// owns it, without locks. It is never in the way of control: connections
// are capped, every request must arrive within seconds, and a live page that
// stops reading is dropped rather than buffered without end.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <string>

#include "routes.hpp"

namespace fuseguard::http {

class Session;

struct Limits {
    std::size_t connections = 64;      // open at once, event streams included
    std::size_t event_streams = 8;     // live pages at once
    std::size_t stream_backlog = 4 << 20;  // bytes a live page may fall behind before it is dropped
    // A request must arrive within this (and the next one on a kept-alive
    // connection); a response, or each 64 KB of an event stream, must be
    // taken within it too.
    std::chrono::milliseconds io_time{10'000};
};

class Server {
public:
    Server(boost::asio::io_context& io, std::string host, std::uint16_t port, Routes routes, Limits limits = {});
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Binds and listens; returns the port (useful with port 0). Throws
    // boost::system::system_error when the address cannot be bound.
    std::uint16_t start();
    void stop();

    std::size_t connections();
    std::size_t event_streams();
    const Routes& routes() const { return routes_; }
    const Limits& limits() const { return limits_; }

private:
    friend class Session;
    void do_accept();
    void on_accept(const boost::system::error_code& ec, boost::asio::ip::tcp::socket socket);
    void forget_closed();

    boost::asio::io_context& io_;
    std::string host_;
    std::uint16_t port_;
    Routes routes_;
    Limits limits_;
    std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
    boost::asio::steady_timer accept_retry_;
    std::list<std::weak_ptr<Session>> sessions_;
    std::shared_ptr<const bool> alive_ = std::make_shared<const bool>(true);
    // With a login: the thread that checks passwords, off the controller's.
    std::unique_ptr<boost::asio::thread_pool> checker_;
};

}  // namespace fuseguard::http
