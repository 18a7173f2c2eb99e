#pragma once
// Publishes the site (SPEC 8): JSON per topic, built from the
// SiteController's state, to each outlet: MQTT (retained, under the topic
// prefix) and the dashboard's state board. Changes are coalesced: the first change arms a
// short timer and everything that changed until it fires goes out at once,
// well within the 100 ms the spec allows, however many events came.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <functional>

#include "drivers/iso8601.hpp"
#include "site_controller.hpp"

namespace fuseguard::controller {

class StatePublisher {
public:
    // Takes a payload by topic relative to the prefix: "site", "chargers/CP1".
    using Outlet = std::function<void(const std::string& topic, const std::string& payload)>;
    StatePublisher(boost::asio::io_context& io, const SiteController& site, std::vector<Outlet> outlets);

    // Something changed: publish soon.
    void changed();
    // Publish now what differs from what was last published.
    void flush();
    // Everything again, soon (the broker came back without it).
    void republish();
    // How long each flush took (comparing, building and handing out payloads).
    const LatencyHistogram& latency() const { return latency_; }

    // The payloads, for the terminal view and tests.
    static std::vector<std::int64_t> site_key(const std::vector<policy::Deduction>& current,
                                              const std::vector<NodeFigures>& nodes);
    nlohmann::json site_json(const std::vector<policy::Deduction>& current, const std::vector<NodeFigures>& nodes) const;
    nlohmann::json charger_json(std::size_t i) const;
    static nlohmann::json notification_json(const Notification& n);

private:
    struct StationKey {
        std::uint64_t version = ~0ull;
        std::uint64_t uptime_epoch = 0;
        int state = -1, control = -1;
        std::int64_t limit = -1, target = -1;
        std::array<std::int64_t, 3> deduction{};
        policy::LimitReason reason{};
        bool operator==(const StationKey&) const = default;
    };
    // `now`: when the flush began (a station's uptime is refreshed when its
    // own minute turns).
    StationKey key_of(std::size_t i, std::chrono::steady_clock::time_point now) const;
    void put(const std::string& topic, const nlohmann::json& body);
    void send(const std::string& topic, const std::string& payload);
    // The notifications list as published, from note_text_.
    std::string notifications_text();
    struct NoteText {
        std::uint64_t revision = 0;  // NotificationBoard::revision_of when it was serialised
        std::string text;
    };

    const SiteController& site_;
    std::vector<Outlet> outlets_;
    boost::asio::steady_timer timer_;
    bool armed_ = false;
    std::shared_ptr<const bool> alive_ = std::make_shared<const bool>(true);  // for timer_'s handler
    std::vector<StationKey> station_keys_;
    std::vector<std::int64_t> site_key_;  // of the site body last published (site_key)
    std::map<std::string, std::size_t> last_body_;  // hash of each body without ts, to tell a real change
    std::chrono::steady_clock::time_point started_;  // the minutes of key_of count from here
    std::optional<std::uint64_t> notifications_revision_;  // of the list last published
    LatencyHistogram latency_;
    std::map<std::string, NoteText> note_text_;             // by notification id
};

}  // namespace fuseguard::controller
