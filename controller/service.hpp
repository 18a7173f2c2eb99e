#pragma once
// The running process: one io_context thread that owns the site. Signals are
// turned into work on that thread (SIGTERM/SIGINT stop, SIGHUP reloads).
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <string>

#include "config/config.hpp"

namespace fuseguard::controller {

class Service {
public:
    Service(boost::asio::io_context& io, std::string config_path, config::Config initial);

    void start();
    const config::Config& config() const { return config_; }

private:
    void do_wait_signal();
    void on_signal(const boost::system::error_code& ec, int signo);
    void reload();
    void apply(const config::Config& cfg);

    boost::asio::io_context& io_;
    boost::asio::signal_set signals_;
    std::string path_;
    config::Config config_;
};

}  // namespace fuseguard::controller
