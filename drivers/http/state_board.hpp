#pragma once
// The site's state as last published (the SPEC 8 payloads, by topic relative
// to the MQTT prefix), kept for the dashboard: a page that opens gets all of
// it at once, then every change as it is published. While nobody watches it
// costs one copy of each payload, refreshed only when that payload changes.
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace fuseguard::http {

class StateBoard {
public:
    // A live reader (an open event stream), told on the io thread.
    class Watcher {
    public:
        virtual ~Watcher() = default;
        virtual void updated(const std::string& topic, const std::string& body) = 0;
        // Everything was dropped (a reload); what is still there comes again.
        virtual void reset() = 0;
    };

    void put(const std::string& topic, std::string body);
    void clear();
    // Every topic with its body, as one JSON object: {"site": {...}, "chargers/CP1": {...}}.
    std::string snapshot() const;
    const std::string* body(const std::string& topic) const;
    std::size_t topics() const { return bodies_.size(); }

    void watch(std::weak_ptr<Watcher> w);
    std::size_t watchers();

private:
    template <class F>
    void tell(F f);

    std::map<std::string, std::string> bodies_;
    std::vector<std::weak_ptr<Watcher>> watchers_;
};

}  // namespace fuseguard::http
