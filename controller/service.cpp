#include "service.hpp"

#include <csignal>

#include "config/load.hpp"
#include "log.hpp"
#include "policy/allocation.hpp"
#include "site_model.hpp"

namespace fuseguard::controller {

Service::Service(boost::asio::io_context& io, std::string config_path, config::Config initial)
    : io_(io), signals_(io, SIGINT, SIGTERM, SIGHUP), path_(std::move(config_path)), config_(std::move(initial)) {}

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

// Logs the plan the site starts from: every device unknown, so every
// fallback is deducted until devices report in.
void Service::apply(const config::Config& cfg) {
    const SiteModel model = build_site_model(cfg);
    const auto plan = policy::allocate(model.tree, model.state);
    log::info("site " + cfg.site.id + ": fuse " + policy::format(model.tree.node(policy::FuseTree::root()).limit) +
              " per phase, " + std::to_string(cfg.chargers.size()) + " chargers, " +
              std::to_string(cfg.meters.size()) + " meters, " + std::to_string(cfg.ems.size()) + " EMS");
    for (const auto& d : policy::all_deductions(plan)) log::info("deduct " + policy::describe(d, model.state));
    const auto& root = plan.loads[0];
    policy::PhaseCurrents available;
    for (auto p : policy::kAllPhases)
        available[p] = policy::capacity(model.tree, policy::FuseTree::root(), model.state.settings) - root.total()[p];
    log::info("site available for charging: " + policy::format(available));
}

}  // namespace fuseguard::controller
