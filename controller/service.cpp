#include "service.hpp"

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "config/load.hpp"
#include "drivers/http/password.hpp"
#include "drivers/ocpp/outbound.hpp"
#include "heap_tuning.hpp"
#include "home_assistant.hpp"
#include "metrics_exposition.hpp"
#include "drivers/log.hpp"
#include "policy/allocation.hpp"
#include "systemd_notify.hpp"

namespace fuseguard::controller {

namespace {

// Behind a total meter, reports that come faster than this are planned
// together (SiteController::space_report_plans): a report says what a
// vehicle drew up to its station's report interval ago (10 s, typically),
// so a tenth of a second more is a small part of what it already left
// unknown, while a plan per report was most of a core at 5,000 stations
// (bench_service, SERVICE_METER=total).
constexpr std::chrono::milliseconds kReportPlanSpacing{100};

bool same_listener(const config::OcppConfig& a, const config::OcppConfig& b) {
    auto tls = [](const std::optional<config::TlsConfig>& t) {
        return t ? t->cert + "|" + t->key + "|" + t->client_ca.value_or("") : std::string();
    };
    return a.listen_host == b.listen_host && a.listen_port == b.listen_port && tls(a.tls) == tls(b.tls) &&
           a.heartbeat_interval_s == b.heartbeat_interval_s && a.ping_interval_s == b.ping_interval_s &&
           a.offline_after_s == b.offline_after_s && a.profile_purpose == b.profile_purpose;
}

// Whether a reload changes anything in the backend section.
bool same_backend(const std::optional<config::BackendConfig>& a, const std::optional<config::BackendConfig>& b) {
    if (!a || !b) return !a && !b;
    return a->url == b->url && a->ca == b->ca && a->cert == b->cert && a->key == b->key &&
           a->password == b->password && a->answer_timeout_s == b->answer_timeout_s &&
           a->reconnect_max_s == b->reconnect_max_s && a->queue_limit == b->queue_limit;
}

bool same_http(const std::optional<config::HttpConfig>& a, const std::optional<config::HttpConfig>& b) {
    if (!a || !b) return !a && !b;
    return a->listen_host == b->listen_host && a->listen_port == b->listen_port && a->dashboard == b->dashboard &&
           a->metrics == b->metrics && a->login == b->login;
}

bool same_broker(const std::optional<config::MqttConfig>& a, const std::optional<config::MqttConfig>& b) {
    if (!a || !b) return !a && !b;
    auto tls = [](const std::optional<config::MqttTlsConfig>& t) {
        return t ? t->ca.value_or("") + "|" + t->cert.value_or("") + "|" + t->key.value_or("") : std::string();
    };
    return a->broker == b->broker && a->topic_prefix == b->topic_prefix && a->username == b->username &&
           a->password == b->password && tls(a->tls) == tls(b->tls) && a->client_id == b->client_id &&
           a->discovery_prefix == b->discovery_prefix;
}

std::vector<ocpp::Server::Station> station_list(const config::Config& cfg) {
    std::vector<ocpp::Server::Station> list;
    for (const auto& c : cfg.chargers) {
        list.push_back({c.id, c.password, c.fallback_current_a, c.max_current_a});
        list.back().backend_identity = c.backend_identity;
        list.back().backend_password = c.backend_password;
    }
    return list;
}

}  // namespace

Service::Service(boost::asio::io_context& io, std::string config_path, config::Config initial)
    : io_(io),
      signals_(io, SIGINT, SIGTERM, SIGHUP),
      tick_(io),
      path_(std::move(config_path)),
      config_(std::make_shared<const config::Config>(std::move(initial))),
      catalogue_(load_catalogue(path_)) {}

Service::~Service() {
    if (http_) http_->stop();
    stop_drivers();
    if (mqtt_) mqtt_->stop();
}

void Service::start() {
    std::error_code ec;
    std::filesystem::create_directories(config_->state_dir, ec);
    uptime_ = std::make_unique<UptimeTracker>(config_->state_dir + "/uptime.sqlite", WallClock::now());
    held_limits_ = std::make_unique<HeldLimitStore>(config_->state_dir + "/held_limits.json");
    log::info("notification catalogue: " + std::to_string(catalogue_.size()) + " entries");
    commands_ = std::make_unique<OperatorCommands>([this] { return ocpp_.get(); });
    start_mqtt();
    start_http();
    apply();
    do_wait_signal();
    do_tick();
    systemd::ready("site " + config_->site.id + ": " + std::to_string(config_->chargers.size()) + " chargers");
    if (auto w = systemd::watchdog_interval())
        log::info("systemd watchdog: " + std::to_string(w->count() / 1000) + " ms, fed by the control loop");
}

void Service::show_view() {
    view_ = std::make_unique<TerminalView>(io_, [this] { return static_cast<const SiteController*>(site_.get()); }, std::cout);
    view_->start();
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
    systemd::stopping();
    tick_.cancel();
    if (view_) view_->stop();
    if (http_) http_->stop();
    stop_drivers();
    if (mqtt_) mqtt_->stop();
    io_.stop();
}

void Service::do_tick() {
    tick_.expires_after(std::chrono::seconds(1));
    tick_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) return;
        if (site_) site_->tick();
        log_budget();
        if (++ticks_ % kTrimEveryTicks == 0) give_back_freed_memory();
        // Fed from the loop itself: a loop that is stuck stops feeding it and
        // systemd restarts the service.
        systemd::watchdog();
        do_tick();
    });
}

void Service::reload() {
    log::info("SIGHUP: reloading " + path_);
    systemd::reloading();
    struct Ready {
        const std::shared_ptr<const config::Config>& cfg;  // the one running when it goes
        ~Ready() { systemd::ready("site " + cfg->site.id + ": " + std::to_string(cfg->chargers.size()) + " chargers"); }
    } ready_again{config_};
    auto result = config::load_file(path_);
    for (const auto& w : result.warnings) log::plain(w.to_string());
    if (!result.ok()) {
        for (const auto& e : result.errors) log::plain(e.to_string());
        log::error("reload failed: keeping the running configuration (site " + config_->site.id + ", fuse " +
                   policy::format(policy::Amps::round_down(config_->site.fuse_limit_a)) + ")");
        return;
    }
    const bool broker_changed = !same_broker(config_->mqtt, result.config->mqtt);
    const bool http_changed = !same_http(config_->http, result.config->http);
    if (result.config->state_dir != config_->state_dir)
        log::warning("state_dir changes take effect at the next start");
    config_ = std::make_shared<const config::Config>(std::move(*result.config));
    catalogue_ = load_catalogue(path_);
    if (broker_changed) {
        publisher_.reset();
        // A command in flight would answer on the old link: dropped with it.
        commands_ = std::make_unique<OperatorCommands>([this] { return ocpp_.get(); });
        if (mqtt_) mqtt_->stop();
        mqtt_.reset();
        start_mqtt();
    }
    if (http_changed) {
        publisher_.reset();
        if (http_) http_->stop();
        http_.reset();
        logins_.reset();  // everyone logs in again
        board_.reset();
        start_http();
    }
    apply();
    log::info("reloaded " + path_);
}

void Service::start_mqtt() {
    if (!config_->mqtt) {
        log::info("mqtt: not configured, state is only logged");
        return;
    }
    mqtt_ = std::make_unique<mqttlink::MqttLink>(io_, *config_->mqtt, OperatorCommands::kSubscription,
                                                 [this](const std::string& topic, const std::string& payload) {
                                                     if (commands_ && mqtt_) commands_->on_message(*mqtt_, topic, payload);
                                                 });
    // The site's state is not kept by the link (a body a station on a large
    // site): the publisher sends it all again when the broker comes back.
    mqtt_->set_republish([this] {
        if (publisher_) publisher_->republish();
    });
    mqtt_->start();
}

void Service::announce_home_assistant() {
    if (!mqtt_) return;
    const std::string file = config_->state_dir + "/home_assistant.json";
    if (!announced_loaded_) {
        // What a previous run announced: a station taken out of the file
        // while fuseguard was stopped leaves Home Assistant too.
        announced_loaded_ = true;
        std::ifstream in(file);
        const auto kept = nlohmann::json::parse(in, nullptr, false);
        if (kept.is_array())
            for (const auto& t : kept)
                if (t.is_string()) announced_.insert(t.get<std::string>());
    }
    const auto now = home_assistant_discovery(*config_);
    std::set<std::string> topics;
    for (const auto& [topic, payload] : now) {
        mqtt_->publish(topic, payload);  // unchanged ones are not sent again
        topics.insert(topic);
    }
    std::size_t removed = 0;
    for (const auto& topic : announced_)
        if (!topics.count(topic)) {
            mqtt_->publish(topic, "");  // an empty retained message removes the entity
            ++removed;
        }
    if (topics == announced_) return;
    announced_ = std::move(topics);
    log::info("home assistant: " + std::to_string(now.size()) + " entities announced" +
              (removed ? ", " + std::to_string(removed) + " removed" : ""));
    std::ofstream out(file, std::ios::trunc);
    out << nlohmann::json(announced_).dump() << '\n';
    if (!out) log::warning("home assistant: cannot write " + file + ": removals after a restart will be missed");
}

void Service::start_http() {
    if (!config_->http || (!config_->http->dashboard && !config_->http->metrics)) return;
    const auto& h = *config_->http;
    if (h.dashboard) board_ = std::make_unique<http::StateBoard>();
    http::Routes routes;
    routes.board = board_.get();
    // Read on the io thread when scraped: the site is never copied for it.
    if (h.metrics)
        routes.metrics = [this] {
            if (!site_) return std::string();
            ServiceFigures figures;
            for (const auto& bus : buses_) figures.modbus_reads.merge(bus->read_counts());
            if (ocpp_) figures.ocpp_errors = &ocpp_->error_counts();
            if (publisher_) figures.publish_latency = &publisher_->latency();
            return metrics_exposition(*site_, figures);
        };
    if (h.dashboard && h.login) {
        if (http::hash_usable(h.login->password_hash)) {
            logins_ = std::make_unique<http::Logins>(*h.login);
            routes.logins = logins_.get();
            routes.command = [this](http::CommandCall call, std::function<void(http::CommandOutcome)> done) {
                commands_->run(mqttlink::parse_command(call.station, call.action, call.payload), "http (" + call.user + ")",
                               [done](const std::string& status, const std::string& payload) { done({status, payload}); });
            };
        } else {
            // The form was checked with the file; this system's libxcrypt
            // has the last word on the method and its cost.
            log::error("http.login: this system cannot check password_hash (unknown method, or a cost it calls too "
                       "cheap): the page stays read-only; make a hash with `fuseguard --hash-password`");
        }
    }
    http_ = std::make_unique<http::Server>(io_, h.listen_host, h.listen_port, std::move(routes));
    try {
        const auto port = http_->start();
        const std::string at = (h.listen_host.find(':') != std::string::npos ? "[" + h.listen_host + "]" : h.listen_host) +
                               ":" + std::to_string(port);
        log::info("http: listening on " + at + (h.dashboard ? ", the dashboard on http://" + at + "/" : "") +
                  (h.metrics ? ", metrics on /metrics" : "") + (logins_ ? ", operator commands after login" : ""));
    } catch (const std::exception& e) {
        // Control goes on without the dashboard; a reload tries again.
        log::error("http: cannot listen on " + h.listen_host + ":" + std::to_string(h.listen_port) + ": " + e.what());
        http_.reset();
        logins_.reset();
        board_.reset();
    }
}

std::vector<StatePublisher::Outlet> Service::outlets() {
    std::vector<StatePublisher::Outlet> out;
    if (mqtt_)
        out.push_back([m = mqtt_.get()](const std::string& topic, const std::string& payload) {
            m->publish_fresh(m->prefix() + "/" + topic, payload);
        });
    if (board_) {
        // A new publisher sends everything again: the board starts empty, so
        // that a station taken out of the configuration leaves the page.
        board_->clear();
        out.push_back([b = board_.get()](const std::string& topic, const std::string& payload) { b->put(topic, payload); });
    }
    return out;
}

// A new configuration: a new site model, in which what the old one knew of
// the same devices carries over, the limits stations hold included.
void Service::apply() {
    const config::Config& cfg = *config_;
    // Each device's liveness goes on in the new buses: one online now still
    // turns offline on time if it never answers them.
    modbus::DeviceLiveness liveness;
    for (auto& b : buses_) {
        b->stop();
        liveness.merge(b->liveness());
    }
    buses_.clear();
    publisher_.reset();
    auto previous = std::move(site_);
    site_ = std::make_unique<SiteController>(
        io_, config_, catalogue_, *uptime_,
        [this](const std::string& id, double amps) { return ocpp_ && ocpp_->set_limit(id, amps); },
        [this] { on_site_changed(); }, held_limits_.get());
    site_->space_report_plans(kReportPlanSpacing);
    // Behind a total meter, a raised station reports its draw once its
    // vehicle has followed (TriggerMessage MeterValues). Best effort: a
    // station that refuses reports at its own interval, as before.
    site_->ask_for_draw_with([this](const std::string& id, int connector) {
        if (!ocpp_) return;
        ocpp_->command(
            id, [connector](ocpp::Version v) { return ocpp::outbound::trigger_meter_values_request(v, connector); },
            [this, id](const std::string& status) {
                if (status == "Accepted" || !refused_draw_ask_.insert(id).second) return;
                log::info("ocpp: " + id + " does not send its meter values when asked (" + status +
                          "): behind a total meter its raises are seen at its own report interval");
            });
    });
    // Adopted before the OCPP side changes: a station that the change
    // disconnects must end offline in the new controller, not be carried
    // over as online after its disconnection arrived.
    if (previous) site_->adopt(*previous);
    const auto& model = site_->model();
    log::info("site " + cfg.site.id + ": fuse " + policy::format(model.tree.node(policy::FuseTree::root()).limit) +
              " per phase, " + std::to_string(cfg.chargers.size()) + " chargers, " + std::to_string(cfg.meters.size()) +
              " meters, " + std::to_string(cfg.ems.size()) + " EMS");
    if (!previous)
        for (const auto& d : policy::all_deductions(site_->target())) log::info("deduct " + policy::describe(d, model.state));
    if (mqtt_ || board_) publisher_ = std::make_unique<StatePublisher>(io_, *site_, outlets());
    logged_budget_.reset();
    log_budget();  // what it starts with: every device unknown
    // A changed backend keeps the stations connected and reconnects their
    // links to the CSMS; adding or removing it changes what the OCPP side
    // is, and starts it again.
    const bool backend_kept = ocpp_ && ocpp_->backend().has_value() == cfg.backend.has_value();
    if (ocpp_ && same_listener(ocpp_->config(), cfg.ocpp) && backend_kept) {
        ocpp_->set_stations(station_list(cfg));
        ocpp_->authorization().configure(cfg.authorization, cfg.backend.has_value());
        if (!same_backend(ocpp_->backend(), cfg.backend)) {
            try {
                ocpp_->set_backend(*cfg.backend);
                log::info("ocpp: the backend changed: each station's link to the CSMS reconnects");
            } catch (const std::exception& e) {
                log::error(std::string("ocpp: cannot use the new backend's TLS files (") + e.what() +
                           "): the links keep the previous backend");
            }
        }
    } else {
        if (ocpp_) ocpp_->stop();
        ocpp_.reset();
        start_ocpp();
    }
    on_site_changed();
    start_buses(liveness);
    announce_home_assistant();
}

void Service::start_ocpp() {
    ocpp_ = std::make_unique<ocpp::Server>(
        io_, config_->ocpp, station_list(*config_), [this](ocpp::StationEvent e) {
            if (site_) site_->on_station_event(e);
        },
        config_->backend, config_->authorization, config_->state_dir);
    try {
        const auto port = ocpp_->start();
        log::info("ocpp: listening on " + config_->ocpp.listen_host + ":" + std::to_string(port) +
                  (config_->ocpp.tls ? " (TLS)" : "") + ", stations connect to /ocpp/<id>");
    } catch (const std::exception& e) {
        // Load management goes on without the OCPP side: every station stays
        // unknown and is counted at its fallback, the safe direction.
        log::error("ocpp: cannot listen on " + config_->ocpp.listen_host + ":" +
                   std::to_string(config_->ocpp.listen_port) + ": " + e.what());
        ocpp_.reset();
    }
}

void Service::start_buses(const modbus::DeviceLiveness& before) {
    buses_ = modbus::make_buses(
        *config_,
        [this](modbus::DeviceEvent e) {
            boost::asio::post(io_, [this, e = std::move(e)] {
                if (site_) site_->on_device_event(e);
            });
        },
        before);
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

// Every change goes to MQTT and the dashboard, coalesced by the publisher.
void Service::on_site_changed() {
    if (publisher_) publisher_->changed();
}

// What the site has for charging, in the log when it moved by an ampere or
// more on a phase: looked at once a second, not on every re-plan (at 5,000
// stations, working it out took longer than the re-plan itself), and not
// logged for every tenth of an ampere a meter moves.
void Service::log_budget() {
    if (!site_) return;
    const auto available = site_->node_figures()[0].available;
    bool moved = !logged_budget_;
    for (auto p : policy::kAllPhases)
        moved = moved || policy::max(available[p] - (*logged_budget_)[p], (*logged_budget_)[p] - available[p]) >=
                             policy::Amps::whole(1);
    if (!moved) return;
    logged_budget_ = available;
    log::info("site available for charging: " + policy::format(available));
}

}  // namespace fuseguard::controller
