#include "mqtt_link.hpp"

#include <boost/asio/post.hpp>
#include <mqtt/async_client.h>

#include "drivers/log.hpp"

namespace fuseguard::mqttlink {

// Reports a failed connect attempt; success arrives via the connected handler.
class ConnectListener : public mqtt::iaction_listener {
public:
    explicit ConnectListener(std::function<void(std::string)> failed) : failed_(std::move(failed)) {}
    void on_failure(const mqtt::token& t) override {
        failed_("connect failed (code " + std::to_string(t.get_return_code()) + ")");
    }
    void on_success(const mqtt::token&) override {}

private:
    std::function<void(std::string)> failed_;
};

// Told by Paho (on its thread) that a publication was acknowledged or
// given up, with its topic and the session it was sent in (its user
// context).
class DeliveryListener : public mqtt::iaction_listener {
public:
    using Done = std::function<void(std::uintptr_t session, std::string topic)>;
    explicit DeliveryListener(Done done) : done_(std::move(done)) {}
    void on_failure(const mqtt::token& t) override { report(t); }
    void on_success(const mqtt::token& t) override { report(t); }

private:
    void report(const mqtt::token& t) {
        // Paho hands a publication's own delivery token to its listener.
        const auto* delivery = dynamic_cast<const mqtt::delivery_token*>(&t);
        const auto message = delivery ? delivery->get_message() : nullptr;
        done_(reinterpret_cast<std::uintptr_t>(t.get_user_context()), message ? message->get_topic() : std::string());
    }
    Done done_;
};

namespace {
std::string uri(const config::MqttConfig& c) {
    return std::string(c.tls_transport ? "ssl://" : "tcp://") + c.host + ":" + std::to_string(c.port);
}
// Publications handed to Paho and not acknowledged yet, at most one per
// topic. Past this, a topic waits with its latest payload: a burst (a site
// of 5,000 stations coming up) then costs one queued payload per topic, not
// one per change, and a slow broker never grows fuseguard's memory.
constexpr std::size_t kMaxInFlight = 1024;
// What Paho may hold before the broker has taken them: above kMaxInFlight,
// and above its default of 100, which refused most of the first
// publication of a site with 1,000 stations ("No more messages can be
// buffered"), leaving those topics stale.
constexpr int kMaxQueued = 4096;
}  // namespace

MqttLink::MqttLink(boost::asio::io_context& io, config::MqttConfig cfg, std::string subscribe, MessageSink on_message)
    : io_(io), cfg_(std::move(cfg)), subscribe_(std::move(subscribe)), on_message_(std::move(on_message)), retry_(io) {
    client_ = std::make_unique<mqtt::async_client>(uri(cfg_), cfg_.client_id,
                                                   mqtt::create_options(MQTTVERSION_3_1_1, kMaxQueued));
    std::weak_ptr<bool> alive = alive_;
    // Paho threads: hand everything to the io_context, drop it if we are gone.
    auto post = [this, alive](auto f) {
        boost::asio::post(io_, [alive, f = std::move(f)]() mutable {
            if (alive.lock()) f();
        });
    };
    client_->set_connected_handler([post, this](const std::string&) { post([this] { on_connected(); }); });
    client_->set_connection_lost_handler([post, this](const std::string& cause) {
        post([this, cause] { on_lost(cause.empty() ? "connection lost" : cause); });
    });
    client_->set_message_callback([post, this](mqtt::const_message_ptr msg) {
        post([this, topic = msg->get_topic(), payload = msg->to_string()] { on_message_(topic, payload); });
    });
    delivery_listener_ = std::make_shared<DeliveryListener>([post, this](std::uintptr_t session, std::string topic) {
        post([this, session, topic = std::move(topic)] { delivered(session, topic); });
    });
}

MqttLink::~MqttLink() { stop(); }

void MqttLink::start() { do_connect(); }

void MqttLink::do_connect() {
    if (stopped_ || connecting_ || connected_) return;
    connecting_ = true;
    auto builder = mqtt::connect_options_builder()
                       .clean_session(true)
                       .keep_alive_interval(std::chrono::seconds(10))
                       .connect_timeout(std::chrono::seconds(5))
                       .will(mqtt::message(cfg_.topic_prefix + "/status", std::string("offline"), 1, true))
                       .max_inflight(4096);
    if (cfg_.username) builder.user_name(*cfg_.username);
    if (cfg_.password) builder.password(*cfg_.password);
    if (cfg_.tls_transport || cfg_.tls) {
        auto ssl = mqtt::ssl_options_builder();
        if (cfg_.tls && cfg_.tls->ca) ssl.trust_store(*cfg_.tls->ca);
        if (cfg_.tls && cfg_.tls->cert) ssl.key_store(*cfg_.tls->cert);
        if (cfg_.tls && cfg_.tls->key) ssl.private_key(*cfg_.tls->key);
        ssl.enable_server_cert_auth(true);
        builder.ssl(ssl.finalize());
    }
    std::weak_ptr<bool> alive = alive_;
    try {
        // Our own retries (below) rather than Paho's automatic reconnect, so
        // that a broker that was never reachable is retried too.
        connect_listener_ = std::make_shared<ConnectListener>([this, alive](std::string why) {
            boost::asio::post(io_, [this, alive, why] {
                if (alive.lock()) on_lost(why);
            });
        });
        client_->connect(builder.finalize(), nullptr, *connect_listener_);
    } catch (const std::exception& e) {
        on_lost(std::string("connect failed: ") + e.what());
    }
}

void MqttLink::on_connected() {
    connecting_ = false;
    connected_ = true;
    failing_ = false;
    backoff_s_ = 0.5;
    log::info("mqtt: connected to " + uri(cfg_) + ", publishing under " + cfg_.topic_prefix + "/");
    try {
        if (!subscribe_.empty()) client_->subscribe(cfg_.topic_prefix + "/" + subscribe_, 1);
    } catch (const std::exception& e) {
        log::warning(std::string("mqtt: subscribe failed: ") + e.what());
    }
    // What was in flight went with the old session; its late answers are
    // not counted against this one.
    ++session_;
    in_flight_.clear();
    waiting_.clear();
    changed_in_flight_.clear();
    fresh_.clear();
    send(cfg_.topic_prefix + "/status", "online");
    for (const auto& [topic, payload] : retained_) send_or_wait(topic);
    if (republish_) republish_();
}

void MqttLink::on_lost(const std::string& cause) {
    const bool was = connected_;
    connected_ = false;
    connecting_ = false;
    fresh_.clear();  // their source publishes everything again on connect
    if (stopped_) return;
    if (was) {
        log::warning("mqtt: lost the broker (" + cause + "): state is kept and republished on reconnect");
    } else if (!failing_) {
        // Once per streak of failures, not on every retry.
        log::warning("mqtt: cannot connect to " + uri(cfg_) + " (" + cause + "): control goes on, retrying");
    }
    failing_ = true;
    retry_.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(backoff_s_)));
    backoff_s_ = std::min(backoff_s_ * 2, 10.0);
    retry_.async_wait([this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
        if (!ec && alive.lock()) do_connect();
    });
}

void MqttLink::publish(const std::string& topic, std::string payload) {
    auto it = retained_.find(topic);
    if (it == retained_.end()) {
        retained_.emplace(topic, std::move(payload));
    } else {
        if (it->second == payload) return;
        it->second = std::move(payload);
    }
    if (connected_) send_or_wait(topic);
}

void MqttLink::publish_fresh(const std::string& topic, std::string payload) {
    if (!connected_) return;
    fresh_[topic] = std::move(payload);
    send_or_wait(topic);
}

void MqttLink::send_or_wait(const std::string& topic) {
    if (in_flight_.contains(topic)) {
        // One version of a topic in flight at a time: a large topic changing
        // every flush (the notifications list of a big site coming up) would
        // otherwise hold a copy per change until the broker caught up.
        changed_in_flight_.insert(topic);
    } else if (in_flight_.size() >= kMaxInFlight) {
        waiting_.insert(topic);
    } else {
        send_latest(topic);
    }
}

// Its latest payload, to Paho: a fresh one is not held after that.
void MqttLink::send_latest(const std::string& topic) {
    if (const auto f = fresh_.find(topic); f != fresh_.end()) {
        const std::string payload = std::move(f->second);
        fresh_.erase(f);
        send(topic, payload);
    } else if (const auto k = retained_.find(topic); k != retained_.end()) {
        send(topic, k->second);
    }
}

void MqttLink::delivered(std::uintptr_t session, const std::string& topic) {
    if (session != session_) return;
    // A delivery without its topic (not expected from Paho) frees nothing:
    // the bound errs on the side of holding less.
    if (in_flight_.erase(topic) == 0) return;
    if (connected_ && changed_in_flight_.erase(topic) > 0) return send_latest(topic);
    while (connected_ && in_flight_.size() < kMaxInFlight && !waiting_.empty()) {
        const auto next = waiting_.extract(waiting_.begin()).value();
        send_latest(next);
    }
}

void MqttLink::send(const std::string& topic, const std::string& payload) {
    waiting_.erase(topic);  // its latest payload goes now
    try {
        client_->publish(topic, payload.data(), payload.size(), 1, true, reinterpret_cast<void*>(session_),
                         *delivery_listener_);
        ++published_;
        in_flight_.insert(topic);
    } catch (const std::exception& e) {
        // Not connected after all, or too much in flight: the reconnect
        // republishes it, so nothing is lost.
        log::warning("mqtt: cannot publish " + topic + ": " + e.what());
    }
}

void MqttLink::stop() {
    if (stopped_) return;
    stopped_ = true;
    retry_.cancel();
    *alive_ = false;
    alive_.reset();
    if (!client_) return;
    try {
        if (client_->is_connected()) {
            // A clean disconnect does not send the will: say it ourselves.
            client_->publish(cfg_.topic_prefix + "/status", std::string("offline"), 1, true)->wait_for(1000);
            client_->disconnect()->wait_for(1000);
        }
    } catch (const std::exception&) {
    }
}

}  // namespace fuseguard::mqttlink
