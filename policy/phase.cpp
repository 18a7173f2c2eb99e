#include "phase.hpp"

namespace fuseguard::policy {

std::string_view name(Phase p) {
    switch (p) {
    case Phase::L1: return "L1";
    case Phase::L2: return "L2";
    case Phase::L3: return "L3";
    }
    return "L?";
}

std::string format(PhaseSet s) {
    std::string out;
    for (Phase p : kAllPhases) {
        if (!s.contains(p)) continue;
        if (!out.empty()) out += ' ';
        out += name(p);
    }
    return out;
}

namespace {
std::optional<Phase> phase_at(std::string_view text, std::size_t pos) {
    if (pos + 2 > text.size() || text[pos] != 'L') return std::nullopt;
    switch (text[pos + 1]) {
    case '1': return Phase::L1;
    case '2': return Phase::L2;
    case '3': return Phase::L3;
    default: return std::nullopt;
    }
}
}  // namespace

std::optional<PhaseRotation> PhaseRotation::parse(std::string_view text, int phase_count) {
    PhaseRotation r;
    if (text.size() == 2 && phase_count == 1) {
        auto p = phase_at(text, 0);
        if (!p) return std::nullopt;
        // The other two terminals are unused; keep the order a valid permutation.
        r.order_ = {*p, static_cast<Phase>((index(*p) + 1) % 3), static_cast<Phase>((index(*p) + 2) % 3)};
        return r;
    }
    if (text.size() != 6) return std::nullopt;
    PhaseSet seen;
    for (std::size_t i = 0; i < 3; ++i) {
        auto p = phase_at(text, i * 2);
        if (!p || seen.contains(*p)) return std::nullopt;
        seen.insert(*p);
        r.order_[i] = *p;
    }
    return r;
}

}  // namespace fuseguard::policy
