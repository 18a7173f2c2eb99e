#pragma once
// The site connection and its sub-distribution boards. Each node has a
// per-phase fuse limit; a node's load includes everything below it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "amps.hpp"

namespace fuseguard::policy {

struct NodeId {
    std::uint32_t value = 0;
    constexpr auto operator<=>(const NodeId&) const = default;
};

struct FuseNode {
    std::string name;
    Amps limit;                   // per phase, before the safety margin
    std::optional<NodeId> parent; // none for the site root
    std::vector<NodeId> children;
    std::vector<NodeId> path;     // root first, this node last
};

class FuseTree {
public:
    FuseTree(std::string root_name, Amps root_limit);

    // Boards are added below an existing node, so a cycle cannot be built.
    // Throws std::invalid_argument on an unknown parent or a duplicate name.
    NodeId add_circuit(NodeId parent, std::string name, Amps limit);

    static constexpr NodeId root() { return NodeId{0}; }
    std::size_t size() const { return nodes_.size(); }
    const FuseNode& node(NodeId id) const { return nodes_.at(id.value); }
    std::optional<NodeId> find(std::string_view name) const;

    // Depth-first preorder: a node's subtree is the contiguous range
    // [preorder_index(n), subtree_end(n)). Lets the allocator visit every
    // station below a node without walking the tree.
    std::uint32_t preorder_index(NodeId id) const { return preorder_pos_[id.value]; }
    std::uint32_t subtree_end(NodeId id) const { return subtree_end_[id.value]; }
    NodeId at_preorder(std::uint32_t pos) const { return preorder_[pos]; }
    // True when `ancestor` is `node` or lies on its path to the root.
    bool covers(NodeId ancestor, NodeId node) const {
        return preorder_pos_[ancestor.value] <= preorder_pos_[node.value] &&
               preorder_pos_[node.value] < subtree_end_[ancestor.value];
    }

private:
    void reindex();
    std::vector<FuseNode> nodes_;
    std::vector<NodeId> preorder_;
    std::vector<std::uint32_t> preorder_pos_;
    std::vector<std::uint32_t> subtree_end_;
};

}  // namespace fuseguard::policy
