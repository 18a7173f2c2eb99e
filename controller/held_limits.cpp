#include "held_limits.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "drivers/log.hpp"
#include "drivers/state_file.hpp"

namespace fuseguard::controller {

HeldLimitStore::HeldLimitStore(std::string path) : path_(std::move(path)) {
    std::ifstream in(path_);
    if (!in) return;
    std::stringstream text;
    text << in.rdbuf();
    const auto j = nlohmann::json::parse(text.str(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        in.close();
        const std::string aside = keep_aside(path_);
        log::warning("state: " + path_ + " is not what fuseguard writes" +
                     (aside.empty() ? std::string() : ", kept as " + aside) +
                     "; the limits stations held are not known");
        return;
    }
    // {"limits": {id: amps}, "verified": [id], "ignoring": [id]}; before
    // the failsafe was verified it was the limits alone.
    const auto limits = j.contains("limits") && j["limits"].is_object() ? j["limits"] : j;
    for (const auto& [id, v] : limits.items())
        if (v.is_number() && v.get<double>() >= 0) held_[id] = v.get<double>();
    auto read_ids = [&j](const char* key, std::set<std::string>& into) {
        if (const auto it = j.find(key); it != j.end() && it->is_array())
            for (const auto& id : *it)
                if (id.is_string()) into.insert(id.get<std::string>());
    };
    read_ids("verified", verified_);
    read_ids("ignoring", ignoring_);
}

namespace {
bool mark(std::set<std::string>& ids, const std::string& id, bool in) { return in ? ids.insert(id).second : ids.erase(id) > 0; }
}  // namespace

void HeldLimitStore::set_verified(const std::string& id, bool verified) {
    if (mark(verified_, id, verified)) write();
}

void HeldLimitStore::set_ignores_limits(const std::string& id, bool ignores) {
    if (mark(ignoring_, id, ignores)) write();
}

std::optional<double> HeldLimitStore::held(const std::string& id) const {
    const auto it = held_.find(id);
    if (it == held_.end()) return std::nullopt;
    return it->second;
}

void HeldLimitStore::may_hold(const std::string& id, double amps) {
    auto [it, added] = held_.try_emplace(id, amps);
    if (!added && it->second >= amps) return;
    it->second = amps;
    dirty_ = true;
}

void HeldLimitStore::flush() {
    if (dirty_) write();
}

void HeldLimitStore::settle(const std::map<std::string, double>& holding) {
    bool changed = false;
    for (const auto& [id, amps] : holding) {
        const auto it = held_.find(id);
        if (it != held_.end() && it->second > amps) {
            it->second = amps;
            changed = true;
        }
    }
    if (changed) write();
}

// Written whole to a new file, synced, then renamed over the old one: a
// crash or a power cut leaves the old file or the new one, never half of one.
void HeldLimitStore::write() {
    dirty_ = false;
    const std::string tmp = path_ + ".new";
    const std::string text = nlohmann::json{{"limits", held_}, {"verified", verified_}, {"ignoring", ignoring_}}.dump();
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    bool ok = fd >= 0;
    if (ok) ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    if (ok) ok = ::fsync(fd) == 0;
    if (fd >= 0) ::close(fd);
    if (ok) ok = std::rename(tmp.c_str(), path_.c_str()) == 0;
    if (!ok) log::warning("state: cannot write " + path_ + ": a restart would not know what the stations hold");
}

}  // namespace fuseguard::controller
