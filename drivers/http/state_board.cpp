#include "state_board.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace fuseguard::http {

template <class F>
void StateBoard::tell(F f) {
    // A watcher may close itself while told (it fell too far behind): work
    // on strong references, and forget the ones that are gone.
    std::erase_if(watchers_, [](const auto& w) { return w.expired(); });
    const auto now = watchers_;
    for (const auto& weak : now)
        if (auto w = weak.lock()) f(*w);
}

void StateBoard::put(const std::string& topic, std::string body) {
    auto& kept = bodies_[topic];
    if (kept == body) return;
    kept = std::move(body);
    if (!watchers_.empty()) tell([&](Watcher& w) { w.updated(topic, kept); });
}

void StateBoard::clear() {
    bodies_.clear();
    tell([](Watcher& w) { w.reset(); });
}

std::string StateBoard::snapshot() const {
    std::string out = "{";
    for (const auto& [topic, body] : bodies_) {
        if (out.size() > 1) out += ',';
        out += nlohmann::json(topic).dump();
        out += ':';
        out += body;
    }
    return out + "}";
}

const std::string* StateBoard::body(const std::string& topic) const {
    auto it = bodies_.find(topic);
    return it == bodies_.end() ? nullptr : &it->second;
}

void StateBoard::watch(std::weak_ptr<Watcher> w) { watchers_.push_back(std::move(w)); }

std::size_t StateBoard::watchers() {
    std::erase_if(watchers_, [](const auto& w) { return w.expired(); });
    return watchers_.size();
}

}  // namespace fuseguard::http
