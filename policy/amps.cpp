#include "amps.hpp"

#include <cmath>
#include <cstdio>

namespace fuseguard::policy {

Amps Amps::round_up(double amps) { return milli(static_cast<std::int64_t>(std::ceil(amps * 1000.0 - 1e-6))); }
Amps Amps::round_down(double amps) { return milli(static_cast<std::int64_t>(std::floor(amps * 1000.0 + 1e-6))); }

namespace {
std::string number(Amps a) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", a.amps());
    std::string s = buf;
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    if (s == "-0") s = "0";
    return s;
}
}  // namespace

std::string format(Amps a) { return number(a) + " A"; }

PhaseCurrents elementwise_max(const PhaseCurrents& a, const PhaseCurrents& b) {
    PhaseCurrents r;
    for (Phase p : kAllPhases) r[p] = max(a[p], b[p]);
    return r;
}

std::string format(const PhaseCurrents& c) {
    PhaseSet nonzero;
    for (Phase p : kAllPhases)
        if (c[p] != Amps{}) nonzero.insert(p);
    if (nonzero.empty()) return "0 A";
    bool same = true;
    Amps first{};
    bool have = false;
    for (Phase p : kAllPhases) {
        if (!nonzero.contains(p)) continue;
        if (have && c[p] != first) same = false;
        first = have ? first : c[p];
        have = true;
    }
    if (same) return format(first) + " on " + format(nonzero);
    return number(c[Phase::L1]) + "/" + number(c[Phase::L2]) + "/" + number(c[Phase::L3]) + " A on L1/L2/L3";
}

}  // namespace fuseguard::policy
