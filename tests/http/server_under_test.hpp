#pragma once
// The HTTP server on its own io thread on 127.0.0.1, as the tests drive it.
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <future>
#include <memory>
#include <thread>

#include "drivers/http/http_server.hpp"

namespace fuseguard::test {

class ServerUnderTest {
public:
    explicit ServerUnderTest(http::Routes routes, http::Limits limits = {})
        : server_(io_, "127.0.0.1", 0, std::move(routes), limits) {
        port_ = server_.start();
        thread_ = std::thread([this] { io_.run(); });
    }
    std::uint16_t port() const { return port_; }
    // Runs `f` on the server's thread (where the board and server live) and
    // returns what it returns.
    template <class F>
    auto on_io(F f) {
        std::packaged_task<decltype(f())()> task(std::move(f));
        auto done = task.get_future();
        boost::asio::post(io_, [&task] { task(); });
        return done.get();
    }
    ~ServerUnderTest() {
        on_io([this] {
            server_.stop();
            return 0;
        });
        work_.reset();
        io_.stop();
        thread_.join();
    }
    http::Server& server() { return server_; }
    boost::asio::io_context& io() { return io_; }

private:
    boost::asio::io_context io_;
    std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_ =
        std::make_unique<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(io_.get_executor());
    http::Server server_;
    std::uint16_t port_ = 0;
    std::thread thread_;
};

}  // namespace fuseguard::test
