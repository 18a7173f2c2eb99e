#include "service.hpp"

#include <boost/asio/post.hpp>
#include <csignal>

#include "config/load.hpp"
#include "drivers/log.hpp"
#include "policy/allocation.hpp"

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
// service re-plans when a device changes state and reports the budget.
void Service::replan() {
    const auto plan = policy::allocate(model_->tree, model_->state);
    policy::PhaseCurrents available;
    const auto cap = policy::capacity(model_->tree, policy::FuseTree::root(), model_->state.settings);
    for (auto p : policy::kAllPhases) available[p] = cap - plan.loads[0].total()[p];
    const std::string budget = "site available for charging: " + policy::format(available);
    if (budget != last_budget_) log::info(budget);
    last_budget_ = budget;
}

}  // namespace fuseguard::controller
