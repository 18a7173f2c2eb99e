// The site, its boards, and the policy section.
#include "sections.hpp"

namespace fuseguard::config {

namespace {
void read_circuits(Reader& r, const YAML::Node& n, const std::string& path, std::vector<CircuitConfig>& out,
                   int depth) {
    if (n.IsNull()) return;  // `circuits:` with nothing under it
    if (!r.sequence(n, path)) return;
    if (depth > 16) {
        r.error(Reader::mark_of(n), path, "boards nest deeper than 16 levels");
        return;
    }
    for (std::size_t i = 0; i < n.size(); ++i) {
        const std::string key = indexed_key(path, i);
        const YAML::Node& b = n[i];
        if (!r.map(b, key, {"id", "fuse_limit_a", "circuits"})) continue;
        CircuitConfig c;
        c.mark = Reader::mark_of(b);
        r.text(b, key, "id", c.id, true);
        r.number(b, key, "fuse_limit_a", c.fuse_limit_a, Bound::Positive, true);
        if (auto e = r.find(b, "circuits")) read_circuits(r, e->value, join_key(key, "circuits"), c.circuits, depth + 1);
        out.push_back(std::move(c));
    }
}
}  // namespace

void read_site(Reader& r, const YAML::Node& n, SiteConfig& out) {
    if (!r.map(n, "site", {"id", "fuse_limit_a", "safety_margin_a", "circuits"})) return;
    r.text(n, "site", "id", out.id, true);
    r.number(n, "site", "fuse_limit_a", out.fuse_limit_a, Bound::Positive, true);
    r.number(n, "site", "safety_margin_a", out.safety_margin_a, Bound::NonNegative);
    if (auto e = r.find(n, "circuits")) read_circuits(r, e->value, "site.circuits", out.circuits, 1);
}

void read_policy(Reader& r, const YAML::Node& n, PolicyConfig& out) {
    if (n.IsNull()) return;
    if (!r.map(n, "policy", {"mode", "min_current_a", "reclaim_margin_a", "calm_step_a", "start_margin_a",
                               "trust_unverified_fallback"})) return;
    if (auto m = r.choice(n, "policy", "mode", {"standard", "strict"}))
        out.mode = *m == 0 ? PolicyMode::Standard : PolicyMode::Strict;
    r.number(n, "policy", "min_current_a", out.min_current_a, Bound::NonNegative);
    r.number(n, "policy", "reclaim_margin_a", out.reclaim_margin_a, Bound::NonNegative);
    r.number(n, "policy", "calm_step_a", out.calm_step_a, Bound::NonNegative);
    r.number(n, "policy", "start_margin_a", out.start_margin_a, Bound::NonNegative);
    r.boolean(n, "policy", "trust_unverified_fallback", out.trust_unverified_fallback);
}

}  // namespace fuseguard::config
