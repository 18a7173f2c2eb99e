#include "held_limits.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "drivers/log.hpp"

namespace fuseguard::controller {

HeldLimitStore::HeldLimitStore(std::string path) : path_(std::move(path)) {
    std::ifstream in(path_);
    if (!in) return;
    std::stringstream text;
    text << in.rdbuf();
    const auto j = nlohmann::json::parse(text.str(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        log::warning("state: " + path_ + " is not what fuseguard writes; the limits stations held are not known");
        return;
    }
    for (const auto& [id, v] : j.items())
        if (v.is_number() && v.get<double>() >= 0) held_[id] = v.get<double>();
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
    const std::string text = nlohmann::json(held_).dump();
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    bool ok = fd >= 0;
    if (ok) ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    if (ok) ok = ::fsync(fd) == 0;
    if (fd >= 0) ::close(fd);
    if (ok) ok = std::rename(tmp.c_str(), path_.c_str()) == 0;
    if (!ok) log::warning("state: cannot write " + path_ + ": a restart would not know what the stations hold");
}

}  // namespace fuseguard::controller
