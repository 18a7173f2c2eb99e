#pragma once
// Connections that have not yet finished their TLS handshake and upgrade
// request. A station finishes both in milliseconds; a client that trickles
// its request a byte at a time, or never sends it, holds a socket and a
// buffer until the 10 s upgrade deadline. Beyond kMost of them, the oldest
// that has taken longer than kSlow is closed to make room, so that such
// clients cannot use up the process's file descriptors and keep the real
// stations out. Younger ones are never closed for room: a whole site
// reconnecting at once after a restart is let in however many it is.
#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <utility>

namespace fuseguard::ocpp {

class PendingUpgrades {
public:
    using Clock = std::chrono::steady_clock;
    static constexpr std::size_t kMost = 256;
    static constexpr auto kSlow = std::chrono::seconds(1);

    struct Entry {
        virtual ~Entry() = default;
        virtual void drop() = 0;  // close the connection now
    };

    // A new connection; closes what it has to make room for it.
    void admit(std::weak_ptr<Entry> entry, Clock::time_point now);
    // Out of file descriptors: closes the oldest one that is slow, if any.
    bool drop_oldest(Clock::time_point now);
    // Those still pending (the ones that finished are forgotten).
    std::size_t size();

private:
    void forget_finished();
    std::deque<std::pair<Clock::time_point, std::weak_ptr<Entry>>> entries_;  // oldest first
};

}  // namespace fuseguard::ocpp
