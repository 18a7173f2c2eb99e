#pragma once
// The configured site in the policy's terms: the fuse tree and a SiteState
// with every device unknown, which is the safe state to start from.
#include "config/config.hpp"
#include "policy/fuse_tree.hpp"
#include "policy/site_state.hpp"

namespace fuseguard::controller {

struct SiteModel {
    policy::FuseTree tree;
    policy::SiteState state;
};

SiteModel build_site_model(const config::Config& cfg);

}  // namespace fuseguard::controller
