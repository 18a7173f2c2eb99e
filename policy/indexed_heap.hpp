#pragma once
// A binary min-heap over the ids 0..n-1 whose keys can be changed in place.
// The allocator keeps one entry per fuse constraint and moves it when the
// constraint's binding level changes, instead of pushing stale duplicates.
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace fuseguard::policy {

template <class Key>
class IndexedMinHeap {
public:
    explicit IndexedMinHeap(std::size_t n) : key_(n), pos_(n, kAbsent) {}

    bool empty() const { return heap_.empty(); }
    std::uint32_t top() const { return heap_.front(); }
    const Key& top_key() const { return key_[heap_.front()]; }

    // Inserts `id`, or moves it to its new key.
    void set(std::uint32_t id, Key key) {
        if (pos_[id] == kAbsent) {
            key_[id] = key;
            pos_[id] = heap_.size();
            heap_.push_back(id);
            up(pos_[id]);
            return;
        }
        const bool smaller = key < key_[id];
        key_[id] = key;
        smaller ? up(pos_[id]) : down(pos_[id]);
    }

    void erase(std::uint32_t id) {
        const std::size_t p = pos_[id];
        if (p == kAbsent) return;
        swap_at(p, heap_.size() - 1);
        heap_.pop_back();
        pos_[id] = kAbsent;
        if (p < heap_.size()) {
            up(p);
            down(p);
        }
    }

private:
    static constexpr std::size_t kAbsent = std::numeric_limits<std::size_t>::max();
    void swap_at(std::size_t a, std::size_t b) {
        std::swap(heap_[a], heap_[b]);
        pos_[heap_[a]] = a;
        pos_[heap_[b]] = b;
    }
    void up(std::size_t p) {
        while (p > 0) {
            const std::size_t parent = (p - 1) / 2;
            if (!(key_[heap_[p]] < key_[heap_[parent]])) break;
            swap_at(p, parent);
            p = parent;
        }
    }
    void down(std::size_t p) {
        while (true) {
            std::size_t best = p;
            const std::size_t l = 2 * p + 1, r = l + 1;
            if (l < heap_.size() && key_[heap_[l]] < key_[heap_[best]]) best = l;
            if (r < heap_.size() && key_[heap_[r]] < key_[heap_[best]]) best = r;
            if (best == p) return;
            swap_at(p, best);
            p = best;
        }
    }
    std::vector<Key> key_;
    std::vector<std::size_t> pos_;
    std::vector<std::uint32_t> heap_;
};

}  // namespace fuseguard::policy
