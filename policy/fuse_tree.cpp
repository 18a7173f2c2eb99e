#include "fuse_tree.hpp"

#include <stdexcept>

namespace fuseguard::policy {

FuseTree::FuseTree(std::string root_name, Amps root_limit) {
    nodes_.push_back(FuseNode{std::move(root_name), root_limit, std::nullopt, {}, {NodeId{0}}});
    reindex();
}

NodeId FuseTree::add_circuit(NodeId parent, std::string name, Amps limit) {
    if (parent.value >= nodes_.size()) throw std::invalid_argument("unknown parent circuit");
    if (find(name)) throw std::invalid_argument("duplicate circuit '" + name + "'");
    NodeId id{static_cast<std::uint32_t>(nodes_.size())};
    FuseNode n{std::move(name), limit, parent, {}, nodes_[parent.value].path};
    n.path.push_back(id);
    nodes_.push_back(std::move(n));
    nodes_[parent.value].children.push_back(id);
    reindex();
    return id;
}

std::optional<NodeId> FuseTree::find(std::string_view name) const {
    for (std::uint32_t i = 0; i < nodes_.size(); ++i)
        if (nodes_[i].name == name) return NodeId{i};
    return std::nullopt;
}

void FuseTree::reindex() {
    preorder_.clear();
    preorder_pos_.assign(nodes_.size(), 0);
    subtree_end_.assign(nodes_.size(), 0);
    // Iterative DFS; trees are shallow but the input is an installer's file.
    struct Frame { NodeId id; std::size_t next_child; };
    std::vector<Frame> stack{{root(), 0}};
    preorder_pos_[0] = 0;
    preorder_.push_back(root());
    while (!stack.empty()) {
        Frame& f = stack.back();
        const auto& kids = nodes_[f.id.value].children;
        if (f.next_child < kids.size()) {
            NodeId c = kids[f.next_child++];
            preorder_pos_[c.value] = static_cast<std::uint32_t>(preorder_.size());
            preorder_.push_back(c);
            stack.push_back({c, 0});
        } else {
            subtree_end_[f.id.value] = static_cast<std::uint32_t>(preorder_.size());
            stack.pop_back();
        }
    }
}

}  // namespace fuseguard::policy
