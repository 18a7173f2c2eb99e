#pragma once
// Stable sort by an integer key. Keys in the policy are mostly a few distinct
// values (priorities, 0.1 A steps), so a counting sort is linear where
// std::stable_sort would be N log N; wide key ranges fall back to it.
#include <algorithm>
#include <cstdint>
#include <vector>

namespace fuseguard::policy {

template <class T, class KeyFn>
void sort_by_small_key(std::vector<T>& items, KeyFn key) {
    if (items.size() < 2) return;
    std::int64_t lo = key(items.front()), hi = lo;
    for (const T& t : items) {
        const std::int64_t k = key(t);
        lo = std::min(lo, k);
        hi = std::max(hi, k);
    }
    const std::uint64_t range = static_cast<std::uint64_t>(hi - lo) + 1;
    if (range > std::max<std::uint64_t>(1024, 4 * items.size())) {
        std::stable_sort(items.begin(), items.end(), [&](const T& a, const T& b) { return key(a) < key(b); });
        return;
    }
    std::vector<std::uint32_t> start(range + 1, 0);
    for (const T& t : items) ++start[static_cast<std::size_t>(key(t) - lo) + 1];
    for (std::size_t i = 1; i < start.size(); ++i) start[i] += start[i - 1];
    std::vector<T> out(items.size());
    for (T& t : items) out[start[static_cast<std::size_t>(key(t) - lo)]++] = std::move(t);
    items.swap(out);
}

}  // namespace fuseguard::policy
