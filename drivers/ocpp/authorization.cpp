#include "authorization.hpp"

namespace fuseguard::ocpp {

void LocalAuthorization::configure(const std::optional<config::AuthorizationConfig>& cfg, bool backend) {
    // Neither a list nor a CSMS: fuseguard does not decide who charges.
    accept_unknown_ = cfg ? cfg->accept_unknown : !backend;
    listed_.clear();
    if (cfg)
        for (const auto& t : cfg->tags) listed_.emplace(t.id, t.priority);
}

std::string LocalAuthorization::status(const std::string& tag) const {
    if (listed_.count(tag) || accepted_by_backend_.count(tag) || accept_unknown_) return "Accepted";
    return "Invalid";
}

void LocalAuthorization::learn(const std::string& tag, const std::string& status) {
    if (status == "Accepted") accepted_by_backend_.insert(tag);
    else accepted_by_backend_.erase(tag);
}

std::optional<int> LocalAuthorization::priority(const std::string& tag) const {
    const auto it = listed_.find(tag);
    return it == listed_.end() ? std::nullopt : std::optional(it->second);
}

}  // namespace fuseguard::ocpp
