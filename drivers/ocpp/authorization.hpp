#pragma once
// Who may charge when fuseguard answers a station itself (SPEC 5): without a
// CSMS, or while it is unreachable. The installer's `authorization:` list,
// and the tags the CSMS accepted while it was there (its answers pass
// through fuseguard), one cache for the whole site. The cache is kept on
// disk by the Server (OfflineQueue), so a restart while the CSMS is away
// still lets its regular drivers charge.
#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "config/config.hpp"

namespace fuseguard::ocpp {

class LocalAuthorization {
public:
    using SysTime = std::chrono::system_clock::time_point;
    // An OCPP authorization cache is bounded; past this the tag learnt
    // longest ago makes room.
    static constexpr std::size_t kMaxCachedTags = 10'000;

    // `backend`: a CSMS decides while reachable; unknown tags are then
    // refused by default (only tags it accepted before may charge).
    LocalAuthorization(std::optional<config::AuthorizationConfig> cfg, bool backend) { configure(cfg, backend); }
    // A reloaded configuration: a new list; what the CSMS accepted stays.
    void configure(const std::optional<config::AuthorizationConfig>& cfg, bool backend);

    // The idTagInfo / idTokenInfo status fuseguard answers for `tag`:
    // "Accepted" or "Invalid". A cached tag past the expiry the CSMS gave it
    // counts as unknown.
    std::string status(const std::string& tag, SysTime now = std::chrono::system_clock::now()) const;

    // The CSMS answered `status` for `tag`, valid until `expiry` when it said
    // so: Accepted is remembered, anything else (Blocked, Expired,
    // Invalid...) forgets it. Returns a tag evicted to make room, if any.
    std::optional<std::string> learn(const std::string& tag, const std::string& status,
                                     std::optional<SysTime> expiry = std::nullopt);
    // The tag's priority in the installer's list, if it has one there.
    std::optional<int> priority(const std::string& tag) const;
    std::size_t cached() const { return accepted_by_backend_.size(); }

private:
    struct Cached {
        std::optional<SysTime> expiry;
        std::uint64_t learnt = 0;  // order of learning, for eviction
    };
    std::map<std::string, int> listed_;  // tag -> priority
    bool accept_unknown_ = true;
    std::map<std::string, Cached> accepted_by_backend_;
    std::uint64_t learnt_ = 0;
};

}  // namespace fuseguard::ocpp
