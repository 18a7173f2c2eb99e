#include "http_server.hpp"

#include "http_session.hpp"

namespace fuseguard::http {

namespace net = boost::asio;
using net::ip::tcp;

Server::Server(net::io_context& io, std::string host, std::uint16_t port, Routes routes, Limits limits)
    : io_(io), host_(std::move(host)), port_(port), routes_(std::move(routes)), limits_(limits), accept_retry_(io) {
    if (routes_.logins && !routes_.offload) {
        checker_ = std::make_unique<net::thread_pool>(1);
        routes_.offload = [pool = checker_.get(), io = &io_, alive = std::weak_ptr<const bool>(alive_)](
                              std::function<bool()> work, std::function<void(bool)> done) {
            net::post(*pool, [io, alive, work = std::move(work), done = std::move(done)] {
                const bool result = work();
                // Told only while this server still runs: a reload may have
                // replaced it, and the logins with it, meanwhile.
                net::post(*io, [alive, done, result] {
                    if (alive.lock()) done(result);
                });
            });
        };
    }
}

Server::~Server() {
    stop();
    alive_.reset();
    if (checker_) checker_->join();
}

std::uint16_t Server::start() {
    tcp::endpoint at{net::ip::make_address(host_), port_};
    acceptor_ = std::make_unique<tcp::acceptor>(io_);
    acceptor_->open(at.protocol());
    acceptor_->set_option(net::socket_base::reuse_address(true));
    acceptor_->bind(at);
    acceptor_->listen();
    do_accept();
    return acceptor_->local_endpoint().port();
}

void Server::stop() {
    accept_retry_.cancel();
    if (acceptor_) {
        boost::system::error_code ignored;
        acceptor_->close(ignored);
        acceptor_.reset();
    }
    auto sessions = std::move(sessions_);
    sessions_.clear();
    for (auto& weak : sessions)
        if (auto s = weak.lock()) s->close();
}

void Server::do_accept() { acceptor_->async_accept(io_, boost::beast::bind_front_handler(&Server::on_accept, this)); }

void Server::on_accept(const boost::system::error_code& ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_) return;  // stopping
    if (ec) {
        // Out of descriptors, say: the connection stays in the backlog and
        // the socket stays readable, so accepting again at once would spin.
        accept_retry_.expires_after(std::chrono::milliseconds(100));
        accept_retry_.async_wait([this, alive = std::weak_ptr<const bool>(alive_)](const boost::system::error_code& e) {
            if (!e && alive.lock() && acceptor_) do_accept();
        });
        return;
    }
    forget_closed();
    if (sessions_.size() >= limits_.connections) {
        // Full: closed at once, so that a flood of clients costs the
        // controller nothing but the accept.
        boost::system::error_code ignored;
        socket.close(ignored);
    } else {
        auto s = std::make_shared<Session>(*this, std::move(socket));
        sessions_.push_back(s);
        s->run();
    }
    do_accept();
}

void Server::forget_closed() { sessions_.remove_if([](const auto& w) { return w.expired(); }); }

std::size_t Server::connections() {
    forget_closed();
    return sessions_.size();
}

std::size_t Server::event_streams() {
    forget_closed();
    std::size_t n = 0;
    for (const auto& w : sessions_)
        if (auto s = w.lock(); s && s->streaming()) ++n;
    return n;
}

}  // namespace fuseguard::http
