#pragma once
// The smallest of n keys, kept as a tournament tree: each inner node holds
// the id that wins its subtree. Setting a key replays its matches up to the
// root (log n plain compares, no swaps); many keys set at once are replayed
// in one bottom-up pass. Equal keys go to the lower id, so the order never
// depends on the order of updates. The allocator keeps one key per fuse
// constraint: the level at which it fills.
#include <cstdint>
#include <limits>
#include <vector>

namespace fuseguard::policy {

class MinTree {
public:
    using Key = std::int64_t;
    static constexpr Key kAbsent = std::numeric_limits<Key>::max();

    explicit MinTree(std::size_t n) {
        while (leaves_ < n) leaves_ *= 2;
        key_.assign(leaves_, kAbsent);
        win_.assign(2 * leaves_, 0);
        for (std::uint32_t i = 0; i < leaves_; ++i) win_[leaves_ + i] = i;
        rebuild();
    }

    bool empty() const { return key_[win_[1]] == kAbsent; }
    std::uint32_t top() const { return win_[1]; }
    Key top_key() const { return key_[win_[1]]; }

    void set(std::uint32_t id, Key key) {
        if (key_[id] == key) return;
        key_[id] = key;
        for (std::size_t node = (leaves_ + id) / 2; node >= 1; node /= 2) replay(node);
    }
    void erase(std::uint32_t id) { set(id, kAbsent); }

    // For many changes at once: set keys without replaying, then rebuild().
    void set_quietly(std::uint32_t id, Key key) { key_[id] = key; }
    void rebuild() {
        for (std::size_t node = leaves_; node-- > 1;) replay(node);
    }

private:
    void replay(std::size_t node) {
        const std::uint32_t l = win_[2 * node], r = win_[2 * node + 1];
        win_[node] = key_[r] < key_[l] ? r : l;
    }
    std::size_t leaves_ = 1;
    std::vector<Key> key_;
    std::vector<std::uint32_t> win_;
};

}  // namespace fuseguard::policy
