#pragma once
// A real mosquitto on a free loopback port, started per test, and a Paho
// client that keeps the last message of every topic under a prefix, so a
// test can wait (with a deadline) for the published state to say something.
#include <mqtt/async_client.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/child_process.hpp"
#include "common/temp_dir.hpp"

namespace fuseguard::test {

// A port nobody listens on right now (bound, read, released).
std::uint16_t free_port();

class Mosquitto {
public:
    // On `port`, or a free one. No persistence: a restart forgets every
    // retained message, so what comes back is what fuseguard republished.
    explicit Mosquitto(std::uint16_t port = 0);
    std::uint16_t port() const { return port_; }
    void stop();
    void start();
    // Stops it answering (SIGSTOP) with every connection kept open, as a
    // broker stuck on a slow disk does; resume() lets it go on.
    void pause();
    void resume();

private:
    TempDir dir_;
    std::uint16_t port_;
    std::unique_ptr<ChildProcess> process_;
};

class MqttWatcher {
public:
    MqttWatcher(std::uint16_t port, const std::string& filter);
    ~MqttWatcher();

    // The last payload on `topic` once `pred` holds for it, or nothing at the deadline.
    std::optional<std::string> wait_text(const std::string& topic, const std::function<bool(const std::string&)>& pred,
                                         std::chrono::milliseconds deadline = std::chrono::seconds(10));
    std::optional<nlohmann::json> wait_json(const std::string& topic,
                                            const std::function<bool(const nlohmann::json&)>& pred,
                                            std::chrono::milliseconds deadline = std::chrono::seconds(10));
    std::optional<std::string> last(const std::string& topic);
    void publish(const std::string& topic, const std::string& payload);
    std::size_t received(const std::string& topic);
    // Every payload seen on `topic`, in order.
    std::vector<std::string> history(const std::string& topic);

private:
    mqtt::async_client client_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::map<std::string, std::string> last_;
    std::map<std::string, std::size_t> count_;
    std::map<std::string, std::vector<std::string>> history_;
};

}  // namespace fuseguard::test
