#pragma once
// Random but reproducible sites for property tests and benchmarks.
#include <cstdint>
#include <string>

#include "policy/fuse_tree.hpp"
#include "policy/site_state.hpp"

namespace fuseguard::policy::test {

struct RandomSite {
    FuseTree tree{"site", Amps::whole(100)};
    SiteState site;
    std::string describe() const;  // one line: enough to see what failed
};

struct RandomSiteShape {
    int max_levels = 4;        // site + up to 3 levels of boards
    int min_stations = 1;
    int max_stations = 500;
};

RandomSite random_site(std::uint64_t seed, const RandomSiteShape& shape);

}  // namespace fuseguard::policy::test
