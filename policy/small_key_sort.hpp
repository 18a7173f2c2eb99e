#pragma once
// Stable sorts by an integer key. Keys in the policy are mostly a few
// distinct values (priorities, turns, 0.1 A steps, tree positions), so a
// counting sort is linear where std::stable_sort would be N log N; wide key
// ranges fall back to it.
#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

namespace fuseguard::policy {

// Whether keys spanning [lo, hi] are few enough to count, for n items.
inline bool countable(std::int64_t lo, std::int64_t hi, std::size_t n) {
    const auto range = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo);  // + 1
    return range < std::max<std::uint64_t>(1024, 4 * std::uint64_t{n});
}

// Sorts `items` by `keys`, one per item, every one in [lo, hi] (the
// caller gathered the bounds while building them): each key is read twice
// and each item moved once.
template <class T>
void sort_by_keys(std::vector<T>& items, const std::vector<std::int64_t>& keys, std::int64_t lo, std::int64_t hi) {
    const std::size_t n = items.size();
    if (n < 2) return;
    std::vector<T> out(n);
    if (countable(lo, hi, n)) {
        std::vector<std::uint32_t> start(static_cast<std::size_t>(hi - lo) + 2, 0);
        for (std::int64_t k : keys) ++start[static_cast<std::size_t>(k - lo) + 1];
        for (std::size_t b = 1; b < start.size(); ++b) start[b] += start[b - 1];
        for (std::size_t i = 0; i < n; ++i) out[start[static_cast<std::size_t>(keys[i] - lo)]++] = std::move(items[i]);
    } else {
        std::vector<std::uint32_t> order(n);
        std::iota(order.begin(), order.end(), 0u);
        std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return keys[a] < keys[b]; });
        for (std::size_t i = 0; i < n; ++i) out[i] = std::move(items[order[i]]);
    }
    items.swap(out);
}

// The same with a key function, worked out once per item.
template <class T, class KeyFn>
void sort_by_small_key(std::vector<T>& items, KeyFn key) {
    if (items.size() < 2) return;
    std::vector<std::int64_t> keys;
    keys.reserve(items.size());
    for (const T& t : items) keys.push_back(key(t));
    const auto [lo, hi] = std::minmax_element(keys.begin(), keys.end());
    sort_by_keys(items, keys, *lo, *hi);
}

}  // namespace fuseguard::policy
