#include "authorization.hpp"

#include <algorithm>

namespace fuseguard::ocpp {

void LocalAuthorization::configure(const std::optional<config::AuthorizationConfig>& cfg, bool backend) {
    // Neither a list nor a CSMS: fuseguard does not decide who charges.
    accept_unknown_ = cfg ? cfg->accept_unknown : !backend;
    listed_.clear();
    if (cfg)
        for (const auto& t : cfg->tags) listed_.emplace(t.id, t.priority);
}

std::string LocalAuthorization::status(const std::string& tag, SysTime now) const {
    if (listed_.count(tag) || accept_unknown_) return "Accepted";
    const auto it = accepted_by_backend_.find(tag);
    if (it != accepted_by_backend_.end() && (!it->second.expiry || now < *it->second.expiry)) return "Accepted";
    return "Invalid";
}

std::optional<std::string> LocalAuthorization::learn(const std::string& tag, const std::string& status,
                                                     std::optional<SysTime> expiry) {
    if (status != "Accepted") {
        accepted_by_backend_.erase(tag);
        return std::nullopt;
    }
    std::optional<std::string> evicted;
    if (!accepted_by_backend_.count(tag) && accepted_by_backend_.size() >= kMaxCachedTags) {
        const auto oldest = std::min_element(accepted_by_backend_.begin(), accepted_by_backend_.end(),
                                             [](const auto& a, const auto& b) { return a.second.learnt < b.second.learnt; });
        evicted = oldest->first;
        accepted_by_backend_.erase(oldest);
    }
    accepted_by_backend_[tag] = Cached{expiry, ++learnt_};
    return evicted;
}

std::optional<int> LocalAuthorization::priority(const std::string& tag) const {
    const auto it = listed_.find(tag);
    return it == listed_.end() ? std::nullopt : std::optional(it->second);
}

}  // namespace fuseguard::ocpp
