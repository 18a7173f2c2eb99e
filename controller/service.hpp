#pragma once
// The running process: one io_context thread that owns the site. Signals are
// turned into work on that thread (SIGTERM/SIGINT stop, SIGHUP reloads), and
// so are driver events: bus threads post them here, only this thread
// touches the site model.
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "drivers/modbus/bus.hpp"
#include "drivers/ocpp/server.hpp"
#include "site_model.hpp"

namespace fuseguard::controller {

class Service {
public:
    Service(boost::asio::io_context& io, std::string config_path, config::Config initial);
    ~Service();

    void start();
    const config::Config& config() const { return config_; }

private:
    void do_wait_signal();
    void on_signal(const boost::system::error_code& ec, int signo);
    void reload();
    void apply(const config::Config& cfg);
    void start_drivers();
    void stop_drivers();
    void on_device_event(const modbus::DeviceEvent& e);
    void on_station_event(const ocpp::StationEvent& e);
    void replan();

    boost::asio::io_context& io_;
    boost::asio::signal_set signals_;
    std::string path_;
    config::Config config_;
    std::optional<SiteModel> model_;
    std::vector<std::unique_ptr<modbus::Bus>> buses_;
    std::unique_ptr<ocpp::Server> ocpp_;
    std::string last_budget_;  // logged again only when it changes
};

}  // namespace fuseguard::controller
