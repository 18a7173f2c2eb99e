#include "service.hpp"

#include <boost/asio/post.hpp>
#include <csignal>

#include "config/load.hpp"
#include "drivers/log.hpp"
#include "policy/allocation.hpp"
#include "policy/connector_status.hpp"

namespace fuseguard::controller {

Service::Service(boost::asio::io_context& io, std::string config_path, config::Config initial)
    : io_(io), signals_(io, SIGINT, SIGTERM, SIGHUP), path_(std::move(config_path)), config_(std::move(initial)) {}

Service::~Service() { stop_drivers(); }

void Service::start() {
    apply(config_);
    do_wait_signal();
}

void Service::do_wait_signal() {
    signals_.async_wait([this](const boost::system::error_code& ec, int signo) { on_signal(ec, signo); });
}

void Service::on_signal(const boost::system::error_code& ec, int signo) {
    if (ec) return;  // cancelled at shutdown
    if (signo == SIGHUP) {
        reload();
        do_wait_signal();
        return;
    }
    log::info(std::string("received ") + (signo == SIGTERM ? "SIGTERM" : "SIGINT") + ", stopping");
    stop_drivers();
    io_.stop();
}

void Service::reload() {
    log::info("SIGHUP: reloading " + path_);
    auto result = config::load_file(path_);
    for (const auto& w : result.warnings) log::plain(w.to_string());
    if (!result.ok()) {
        for (const auto& e : result.errors) log::plain(e.to_string());
        log::error("reload failed: keeping the running configuration (site " + config_.site.id + ", fuse " +
                   policy::format(policy::Amps::round_down(config_.site.fuse_limit_a)) + ")");
        return;
    }
    config_ = std::move(*result.config);
    apply(config_);
    log::info("reloaded " + path_);
}

// A new configuration starts from the safe state: every device unknown,
// every fallback deducted, until the devices report in again.
void Service::apply(const config::Config& cfg) {
    stop_drivers();
    model_ = build_site_model(cfg);
    last_budget_.clear();
    log::info("site " + cfg.site.id + ": fuse " + policy::format(model_->tree.node(policy::FuseTree::root()).limit) +
              " per phase, " + std::to_string(cfg.chargers.size()) + " chargers, " +
              std::to_string(cfg.meters.size()) + " meters, " + std::to_string(cfg.ems.size()) + " EMS");
    const auto plan = policy::allocate(model_->tree, model_->state);
    for (const auto& d : policy::all_deductions(plan)) log::info("deduct " + policy::describe(d, model_->state));
    replan();
    start_drivers();
}

void Service::start_drivers() {
    std::vector<ocpp::Server::Station> stations;
    for (const auto& c : config_.chargers) stations.push_back({c.id, c.password});
    ocpp_ = std::make_unique<ocpp::Server>(io_, config_.ocpp, std::move(stations),
                                           [this](ocpp::StationEvent e) { on_station_event(e); });
    try {
        const auto port = ocpp_->start();
        log::info("ocpp: listening on " + config_.ocpp.listen_host + ":" + std::to_string(port) +
                  (config_.ocpp.tls ? " (TLS)" : "") + ", stations connect to /ocpp/<id>");
    } catch (const std::exception& e) {
        // Load management goes on without the OCPP side: every station stays
        // unknown and is counted at its fallback, the safe direction.
        log::error("ocpp: cannot listen on " + config_.ocpp.listen_host + ":" +
                   std::to_string(config_.ocpp.listen_port) + ": " + e.what());
        ocpp_.reset();
    }
    buses_ = modbus::make_buses(config_, [this](modbus::DeviceEvent e) {
        boost::asio::post(io_, [this, e = std::move(e)] { on_device_event(e); });
    });
    for (auto& b : buses_) {
        log::info("modbus: polling " + b->name());
        b->start();
    }
}

void Service::stop_drivers() {
    for (auto& b : buses_) b->stop();
    buses_.clear();
    if (ocpp_) ocpp_->stop();
    ocpp_.reset();
}

// Station liveness and whether a vehicle wants current. Sending limits and
// tracking their answers is the controller's next step (issue 7).
void Service::on_station_event(const ocpp::StationEvent& ev) {
    if (!model_) return;
    auto find = [&](const std::string& id) -> policy::StationInput* {
        for (auto& s : model_->state.stations)
            if (s.id == id) return &s;
        return nullptr;
    };
    std::visit(
        [&](const auto& e) {
            using T = std::decay_t<decltype(e)>;
            auto* st = find(e.id);
            if (!st) return;
            if constexpr (std::is_same_v<T, ocpp::StationConnected>) {
                st->state = policy::DeviceState::Online;
                st->control = policy::Control::Unmanaged;  // until a limit is accepted
                replan();
            } else if constexpr (std::is_same_v<T, ocpp::StationDisconnected>) {
                st->state = policy::DeviceState::Offline;
                st->measured.reset();
                replan();
            } else if constexpr (std::is_same_v<T, ocpp::StationBooted>) {
                log::info("ocpp: " + e.id + " booted: " + e.vendor + " " + e.model +
                          (e.firmware ? " firmware " + *e.firmware : ""));
            } else if constexpr (std::is_same_v<T, ocpp::ConnectorStatusChanged>) {
                if (e.error_code != "NoError")
                    log::warning("ocpp: " + e.id + " connector " + std::to_string(e.connector) + " reports " +
                                 e.error_code + (e.vendor_error_code ? " (" + *e.vendor_error_code + ")" : "") +
                                 " while " + e.status);
                if (e.connector != 0) {
                    const auto status = policy::parse_connector_status(e.status);
                    const bool wants = status && policy::wants_current(*status);
                    if (wants != st->wants_current) {
                        st->wants_current = wants;
                        replan();
                    }
                }
            } else if constexpr (std::is_same_v<T, ocpp::DrawMeasured>) {
                std::array<policy::Amps, 3> a{};
                for (std::size_t i = 0; i < 3; ++i) a[i] = policy::Amps::round_up(e.current_a[i]);
                st->measured = a;
            }
        },
        ev);
}

void Service::on_device_event(const modbus::DeviceEvent& e) {
    if (!model_) return;
    auto& st = model_->state;
    policy::DeviceState* state = nullptr;
    policy::PhaseCurrents* value = nullptr;
    if (e.kind == modbus::DeviceKind::Meter) {
        for (auto& m : st.meters)
            if (m.id == e.id) state = &m.state, value = &m.current;
    } else {
        for (auto& x : st.ems)
            if (x.id == e.id) state = &x.state, value = &x.reserved;
    }
    if (!state) return;  // from a bus of a configuration just replaced
    const std::string who = std::string(modbus::prefix(e.kind)) + ":" + e.id;
    if (e.reading)
        for (auto p : policy::kAllPhases)
            (*value)[p] = policy::Amps::round_up(e.reading->current_a[policy::index(p)]);
    if (e.transition) {
        *state = e.transition->to;
        const auto msg = who + " " + std::string(policy::name(e.transition->from)) + " -> " +
                         std::string(policy::name(e.transition->to)) + " (" + e.transition->cause + ")";
        e.transition->to == policy::DeviceState::Online ? log::info(msg) : log::warning(msg);
        replan();
    }
}

// The controller issue adds sending limits and publishing; until then the
// service re-plans when a device changes state and reports the budget as it
// stands now: what every device in its current state takes (SPEC 1).
void Service::replan() {
    const auto& st = model_->state;
    const auto loads = policy::node_loads(model_->tree, policy::current_deductions(model_->tree, st));
    policy::PhaseCurrents available;
    const auto cap = policy::capacity(model_->tree, policy::FuseTree::root(), st.settings);
    for (auto p : policy::kAllPhases) available[p] = cap - loads[0].total()[p];
    const std::string budget = "site available for charging: " + policy::format(available);
    if (budget != last_budget_) log::info(budget);
    last_budget_ = budget;
}

}  // namespace fuseguard::controller
