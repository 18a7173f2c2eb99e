#pragma once
// The connection to the site's MQTT broker (Eclipse Paho C++, async).
// Publishing never waits on the broker, and a reconnect republishes every
// retained topic: the link keeps the last payload of the topics published
// with publish(); for those published with publish_fresh() it asks their
// source to publish everything again (set_republish). Paho's own threads
// only post to the io_context; every member runs on that thread.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "config/config.hpp"

namespace mqtt {
class async_client;
}

namespace fuseguard::mqttlink {

class ConnectListener;
class DeliveryListener;

class MqttLink {
public:
    // A message on a subscribed topic, topic relative to nothing (as received).
    using MessageSink = std::function<void(const std::string& topic, const std::string& payload)>;

    // Subscribes to `<prefix>/<subscribe>` (an MQTT filter) on every connect.
    MqttLink(boost::asio::io_context& io, config::MqttConfig cfg, std::string subscribe, MessageSink on_message);
    ~MqttLink();
    MqttLink(const MqttLink&) = delete;
    MqttLink& operator=(const MqttLink&) = delete;

    void start();
    // Publishes `offline` on the status topic and disconnects (bounded wait).
    void stop();

    // Retained, QoS 1, kept and sent again on every reconnect. Unchanged
    // payloads are not sent again.
    void publish(const std::string& topic, std::string payload);
    // Retained, QoS 1, from a source that publishes everything again when
    // told (set_republish) and leaves out what did not change: the payload
    // is held only until Paho has it, and dropped while the broker is away.
    // A large site's state (a body a station) is then not held twice.
    void publish_fresh(const std::string& topic, std::string payload);
    // Called after every connect, once the kept topics are on their way.
    void set_republish(std::function<void()> republish) { republish_ = std::move(republish); }
    bool connected() const { return connected_; }
    const std::string& prefix() const { return cfg_.topic_prefix; }
    std::uint64_t published() const { return published_; }

private:
    void do_connect();
    void on_connected();
    void on_lost(const std::string& cause);
    void send(const std::string& topic, const std::string& payload);
    // Hands the topic's latest payload to Paho, or keeps it waiting while
    // kMaxInFlight are not yet acknowledged; delivered() sends the next.
    void send_or_wait(const std::string& topic);
    void send_latest(const std::string& topic);
    void delivered(std::uintptr_t session, const std::string& topic);

    boost::asio::io_context& io_;
    config::MqttConfig cfg_;
    std::string subscribe_;
    MessageSink on_message_;
    std::shared_ptr<ConnectListener> connect_listener_;  // outlives the client that calls it
    std::shared_ptr<DeliveryListener> delivery_listener_;
    std::unique_ptr<mqtt::async_client> client_;
    boost::asio::steady_timer retry_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // guards posted callbacks
    std::map<std::string, std::string> retained_;  // publish(): kept
    std::map<std::string, std::string> fresh_;     // publish_fresh(): until sent
    std::function<void()> republish_;
    // Topics whose latest payload waits for an acknowledgement to make room:
    // one entry per topic, however often it changes meanwhile.
    std::set<std::string> waiting_;
    // Sent and not yet acknowledged (at most kMaxInFlight), and those of
    // them changed since: sent again when their acknowledgement comes.
    std::set<std::string> in_flight_, changed_in_flight_;
    std::uintptr_t session_ = 0;  // counts connections: whose acknowledgement is whose
    bool connected_ = false, connecting_ = false, stopped_ = false, failing_ = false;
    double backoff_s_ = 0.5;
    std::uint64_t published_ = 0;
};

}  // namespace fuseguard::mqttlink
