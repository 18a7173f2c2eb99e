// The allocator's building blocks for ordering: stable counting sorts (with
// their wide-range fallback) and the tournament tree of binding levels. The
// property test covers them through the allocator; these pin their own
// contracts, where a slip would only show as a different tie-break.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "policy/min_tree.hpp"
#include "policy/small_key_sort.hpp"

using namespace fuseguard::policy;

namespace {

// (key, original position): a stable sort keeps positions rising within a key.
using Item = std::pair<std::int64_t, int>;

std::vector<Item> random_items(std::uint32_t seed, int n, std::int64_t lo, std::int64_t hi) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<std::int64_t> key(lo, hi);
    std::vector<Item> items;
    for (int i = 0; i < n; ++i) items.emplace_back(key(rng), i);
    return items;
}

std::vector<Item> reference(std::vector<Item> items) {
    std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.first < b.first; });
    return items;
}

}  // namespace

TEST_CASE("sort_by_small_key is a stable sort, counted or not") {
    // A few keys among many items (counted), and keys spread over a range
    // far wider than the items (the std::stable_sort fallback).
    for (auto [lo, hi] : {std::pair<std::int64_t, std::int64_t>{-3, 3}, {0, 1'000'000'000'000}}) {
        auto items = random_items(7, 3000, lo, hi);
        const auto expected = reference(items);
        sort_by_small_key(items, [](const Item& i) { return i.first; });
        CHECK(items == expected);
    }
}

TEST_CASE("sort_by_keys sorts by keys given beside the items, stably") {
    for (auto [lo, hi] : {std::pair<std::int64_t, std::int64_t>{0, 9}, {-500, 500},
                          {INT64_MIN / 2, INT64_MAX / 2}}) {
        auto items = random_items(11, 2000, lo, hi);
        const auto expected = reference(items);
        std::vector<std::int64_t> keys;
        std::vector<int> positions;
        for (const Item& i : items) {
            keys.push_back(i.first);
            positions.push_back(i.second);
        }
        const auto [least, most] = std::minmax_element(keys.begin(), keys.end());
        sort_by_keys(positions, keys, *least, *most);
        REQUIRE(positions.size() == expected.size());
        for (std::size_t i = 0; i < expected.size(); ++i) CHECK(positions[i] == expected[i].second);
    }
}

TEST_CASE("sort_by_keys leaves empty and single lists alone") {
    std::vector<int> none;
    sort_by_keys(none, {}, 0, -1);
    CHECK(none.empty());
    std::vector<int> one{42};
    sort_by_keys(one, {5}, 5, 5);
    CHECK(one == std::vector<int>{42});
}

TEST_CASE("MinTree: the smallest key wins, equal keys go to the lowest id") {
    MinTree tree(5);
    CHECK(tree.empty());
    tree.set(3, 40);
    tree.set(1, 40);
    tree.set(4, 70);
    REQUIRE_FALSE(tree.empty());
    CHECK(tree.top() == 1);  // tie at 40: lowest id, whatever the order of updates
    CHECK(tree.top_key() == 40);
    tree.erase(1);
    CHECK(tree.top() == 3);
    tree.set(4, 10);
    CHECK(tree.top() == 4);
    CHECK(tree.top_key() == 10);
    tree.erase(4);
    tree.erase(3);
    CHECK(tree.empty());
}

TEST_CASE("MinTree: keys set quietly count once rebuilt") {
    std::mt19937 rng(3);
    std::uniform_int_distribution<MinTree::Key> key(0, 20);
    MinTree tree(37);
    std::vector<MinTree::Key> keys(37, MinTree::kAbsent);
    for (int round = 0; round < 50; ++round) {
        const bool quietly = round % 2 == 0;
        for (int i = 0; i < 10; ++i) {
            const auto id = static_cast<std::uint32_t>(rng() % 37);
            keys[id] = rng() % 4 == 0 ? MinTree::kAbsent : key(rng);
            quietly ? tree.set_quietly(id, keys[id]) : tree.set(id, keys[id]);
        }
        if (quietly) tree.rebuild();
        const auto best = std::min_element(keys.begin(), keys.end());  // first of the smallest
        if (*best == MinTree::kAbsent) {
            CHECK(tree.empty());
        } else {
            CHECK(tree.top() == static_cast<std::uint32_t>(best - keys.begin()));
            CHECK(tree.top_key() == *best);
        }
    }
}
