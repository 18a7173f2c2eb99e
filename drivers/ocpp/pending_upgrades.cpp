#include "pending_upgrades.hpp"

#include <algorithm>

namespace fuseguard::ocpp {

void PendingUpgrades::forget_finished() {
    entries_.erase(std::remove_if(entries_.begin(), entries_.end(), [](const auto& e) { return e.second.expired(); }),
                   entries_.end());
}

std::size_t PendingUpgrades::size() {
    forget_finished();
    return entries_.size();
}

void PendingUpgrades::admit(std::weak_ptr<Entry> entry, Clock::time_point now) {
    forget_finished();
    while (entries_.size() >= kMost && drop_oldest(now)) {
    }
    entries_.emplace_back(now, std::move(entry));
}

bool PendingUpgrades::drop_oldest(Clock::time_point now) {
    forget_finished();
    if (entries_.empty() || now - entries_.front().first < kSlow) return false;
    auto oldest = entries_.front().second.lock();
    entries_.pop_front();
    if (oldest) oldest->drop();
    return true;
}

}  // namespace fuseguard::ocpp
