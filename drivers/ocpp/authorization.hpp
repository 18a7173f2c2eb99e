#pragma once
// Who may charge when fuseguard answers a station itself (SPEC 5): without a
// CSMS, or while it is unreachable. The installer's `authorization:` list,
// and the tags the CSMS accepted while it was there (its answers pass
// through fuseguard), one cache for the whole site.
#include <map>
#include <optional>
#include <set>
#include <string>

#include "config/config.hpp"

namespace fuseguard::ocpp {

class LocalAuthorization {
public:
    // `backend`: a CSMS decides while reachable; unknown tags are then
    // refused by default (only tags it accepted before may charge).
    LocalAuthorization(std::optional<config::AuthorizationConfig> cfg, bool backend) { configure(cfg, backend); }
    // A reloaded configuration: a new list; what the CSMS accepted stays.
    void configure(const std::optional<config::AuthorizationConfig>& cfg, bool backend);

    // The idTagInfo / idTokenInfo status fuseguard answers for `tag`:
    // "Accepted" or "Invalid".
    std::string status(const std::string& tag) const;
    // The CSMS answered `status` for `tag`: Accepted is remembered, anything
    // else (Blocked, Expired, Invalid...) forgets it.
    void learn(const std::string& tag, const std::string& status);
    // The tag's priority in the installer's list, if it has one there.
    std::optional<int> priority(const std::string& tag) const;
    std::size_t cached() const { return accepted_by_backend_.size(); }

private:
    std::map<std::string, int> listed_;  // tag -> priority
    bool accept_unknown_ = true;
    std::set<std::string> accepted_by_backend_;
};

}  // namespace fuseguard::ocpp
