#include "mqtt_fixture.hpp"

#include <netinet/in.h>
#include <pwd.h>
#include <csignal>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace fuseguard::test {

using namespace std::chrono_literals;

std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

Mosquitto::Mosquitto(std::uint16_t port) : port_(port ? port : free_port()) { start(); }

void Mosquitto::start() {
    // Run as whoever we are: mosquitto started as root would switch to its
    // own user, and that clears the signal that stops it with the test.
    const passwd* me = ::getpwuid(::geteuid());
    const std::string user = me ? std::string("user ") + me->pw_name + "\n" : "";
    const auto conf = dir_.write("mosquitto.conf", "listener " + std::to_string(port_) +
                                                       " 127.0.0.1\nallow_anonymous true\npersistence false\n" + user +
                                                       // A subscriber slower than fuseguard (a test's,
                                                       // on a loaded machine) must not lose messages
                                                       // past mosquitto's default queue of 1,000.
                                                       "max_queued_messages 0\n" +
                                                       "log_dest stderr\nlog_type error\nlog_type warning\n"
                                                       "log_type notice\nlog_type information\n");
    // The port may still be in TIME_WAIT after a stop: try for a while.
    for (int attempt = 0; attempt < 50; ++attempt) {
        process_ = std::make_unique<ChildProcess>(std::vector<std::string>{"/usr/sbin/mosquitto", "-c", conf});
        if (process_->wait_for("running", 5s)) return;
        process_.reset();
        ::usleep(100'000);
    }
    throw std::runtime_error("mosquitto did not start on port " + std::to_string(port_));
}

void Mosquitto::pause() {
    if (process_) process_->signal(SIGSTOP);
}

void Mosquitto::resume() {
    if (process_) process_->signal(SIGCONT);
}

void Mosquitto::stop() {
    if (!process_) return;
    process_->signal(SIGCONT);  // a paused broker would not see the SIGTERM
    process_->signal(SIGTERM);
    process_->wait_exit(5s);
    process_.reset();
}

MqttWatcher::MqttWatcher(std::uint16_t port, const std::string& filter)
    : client_("tcp://127.0.0.1:" + std::to_string(port), "watcher-" + std::to_string(::getpid()) + "-" +
                                                             std::to_string(reinterpret_cast<std::uintptr_t>(this))) {
    client_.set_message_callback([this](mqtt::const_message_ptr m) {
        std::lock_guard lock(mutex_);
        last_[m->get_topic()] = m->to_string();
        ++count_[m->get_topic()];
        history_[m->get_topic()].push_back(m->to_string());
        cv_.notify_all();
    });
    auto opts = mqtt::connect_options_builder().clean_session(true).automatic_reconnect(100ms, 1s).finalize();
    client_.set_connected_handler([this, filter](const std::string&) { client_.subscribe(filter, 1); });
    client_.connect(opts)->wait_for(5s);
}

MqttWatcher::~MqttWatcher() {
    try {
        client_.disconnect()->wait_for(2s);
    } catch (...) {
    }
}

std::optional<std::string> MqttWatcher::wait_text(const std::string& topic,
                                                  const std::function<bool(const std::string&)>& pred,
                                                  std::chrono::milliseconds deadline) {
    std::unique_lock lock(mutex_);
    std::optional<std::string> found;
    cv_.wait_for(lock, deadline, [&] {
        auto it = last_.find(topic);
        if (it != last_.end() && pred(it->second)) found = it->second;
        return found.has_value();
    });
    return found;
}

std::optional<nlohmann::json> MqttWatcher::wait_json(const std::string& topic,
                                                     const std::function<bool(const nlohmann::json&)>& pred,
                                                     std::chrono::milliseconds deadline) {
    std::optional<nlohmann::json> out;
    wait_text(
        topic,
        [&](const std::string& text) {
            auto j = nlohmann::json::parse(text, nullptr, false);
            if (j.is_discarded() || !pred(j)) return false;
            out = std::move(j);
            return true;
        },
        deadline);
    return out;
}

std::optional<std::string> MqttWatcher::last(const std::string& topic) {
    std::lock_guard lock(mutex_);
    auto it = last_.find(topic);
    if (it == last_.end()) return std::nullopt;
    return it->second;
}

std::size_t MqttWatcher::received(const std::string& topic) {
    std::lock_guard lock(mutex_);
    return count_[topic];
}

std::vector<std::string> MqttWatcher::history(const std::string& topic) {
    std::lock_guard lock(mutex_);
    return history_[topic];
}

void MqttWatcher::publish(const std::string& topic, const std::string& payload) {
    client_.publish(topic, payload.data(), payload.size(), 1, false)->wait_for(5s);
}

}  // namespace fuseguard::test
