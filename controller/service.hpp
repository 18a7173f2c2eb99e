#pragma once
// The running process: one io_context thread that owns the site. Signals are
// turned into work on that thread (SIGTERM/SIGINT stop, SIGHUP reloads), and
// so are driver events: bus threads post them here, only this thread
// touches the site.
//
//   Modbus buses ─┐                    ┌─> OCPP limits (lower before raise)
//   OCPP server ──┼─> SiteController ──┼─> StatePublisher ─> MQTT, dashboard
//   MQTT cmds ────┘    (policy)        └─> notifications, uptime
//                                            /metrics (read when scraped)
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "catalogue.hpp"
#include "config/config.hpp"
#include "drivers/http/http_server.hpp"
#include "drivers/http/state_board.hpp"
#include "drivers/modbus/bus.hpp"
#include "drivers/mqtt/mqtt_link.hpp"
#include "drivers/ocpp/server.hpp"
#include "operator_commands.hpp"
#include "site_controller.hpp"
#include "state_publisher.hpp"
#include "terminal_view.hpp"
#include "held_limits.hpp"
#include "uptime.hpp"

namespace fuseguard::controller {

class Service {
public:
    Service(boost::asio::io_context& io, std::string config_path, config::Config initial);
    ~Service();

    void start();
    // Draws the site on stdout every second (fuseguard --view).
    void show_view();
    const config::Config& config() const { return *config_; }

private:
    void do_wait_signal();
    void on_signal(const boost::system::error_code& ec, int signo);
    void reload();
    void apply();
    void start_ocpp();
    void start_buses(const modbus::DeviceLiveness& before);
    void stop_drivers();
    void start_mqtt();
    void start_http();
    // Home Assistant discovery for the configuration now; what was announced
    // before (this run or the last: state_dir/home_assistant.json) and is
    // not any more is removed.
    void announce_home_assistant();
    // Where the publisher sends what it builds: MQTT and the dashboard.
    std::vector<StatePublisher::Outlet> outlets();
    void do_tick();
    void log_budget();
    void on_site_changed();

    boost::asio::io_context& io_;
    boost::asio::signal_set signals_;
    boost::asio::steady_timer tick_;
    std::string path_;
    // Shared with the site controller: one copy of a large site's chargers.
    std::shared_ptr<const config::Config> config_;
    Catalogue catalogue_;
    std::unique_ptr<UptimeTracker> uptime_;
    std::unique_ptr<HeldLimitStore> held_limits_;
    std::unique_ptr<mqttlink::MqttLink> mqtt_;
    std::unique_ptr<OperatorCommands> commands_;
    std::unique_ptr<ocpp::Server> ocpp_;
    std::unique_ptr<SiteController> site_;
    std::unique_ptr<StatePublisher> publisher_;
    std::unique_ptr<http::StateBoard> board_;  // with the dashboard on
    std::unique_ptr<http::Logins> logins_;  // with http.login (outlives http_)
    std::unique_ptr<http::Server> http_;
    std::set<std::string> announced_;  // Home Assistant discovery topics (home_assistant.cpp)
    std::set<std::string> refused_draw_ask_;  // stations that did not report when asked, logged once
    bool announced_loaded_ = false;
    std::vector<std::unique_ptr<modbus::Bus>> buses_;
    std::unique_ptr<TerminalView> view_;
    std::optional<policy::PhaseCurrents> logged_budget_;  // logged again when it moves (log_budget)
    // Ticks so far: freed memory goes back to the system every
    // kTrimEveryTicks (heap_tuning.hpp).
    std::uint64_t ticks_ = 0;
    static constexpr std::uint64_t kTrimEveryTicks = 10;
};

}  // namespace fuseguard::controller
