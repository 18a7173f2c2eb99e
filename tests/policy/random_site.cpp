#include "random_site.hpp"

#include <random>

namespace fuseguard::policy::test {

namespace {
// Plain modulo on a fixed engine: the same seed gives the same site on every
// standard library, unlike std::uniform_int_distribution.
struct Rng {
    std::mt19937_64 engine;
    std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : engine() % n; }
    int range(int lo, int hi) { return lo + static_cast<int>(below(static_cast<std::uint64_t>(hi - lo + 1))); }
    bool chance(int percent) { return below(100) < static_cast<std::uint64_t>(percent); }
    Amps amps(int lo_a, int hi_a) { return Amps::milli(range(lo_a * 10, hi_a * 10) * 100); }  // whole 0.1 A
};
constexpr const char* kRotations[] = {"L1L2L3", "L2L3L1", "L3L1L2", "L1L3L2", "L3L2L1", "L2L1L3"};
DeviceState random_state(Rng& r) {
    int x = r.range(0, 99);
    return x < 70 ? DeviceState::Online : x < 85 ? DeviceState::Offline : DeviceState::Unknown;
}
}  // namespace

RandomSite random_site(std::uint64_t seed, const RandomSiteShape& shape) {
    Rng r{std::mt19937_64(seed)};
    RandomSite out;
    out.tree = FuseTree("site", r.amps(40, 1000));
    std::vector<NodeId> frontier{FuseTree::root()};
    const int levels = r.range(1, shape.max_levels);
    for (int level = 1; level < levels; ++level) {
        std::vector<NodeId> next;
        for (NodeId parent : frontier) {
            const int kids = r.range(0, 4);
            for (int k = 0; k < kids; ++k) {
                const Amps parent_limit = out.tree.node(parent).limit;
                // Mostly smaller than the parent, sometimes (wrongly) larger.
                Amps limit = Amps::milli(parent_limit.milliamps() * r.range(20, 110) / 100).floor_to(Amps::milli(100));
                limit = max(limit, Amps::whole(10));
                next.push_back(out.tree.add_circuit(parent, "b" + std::to_string(out.tree.size()), limit));
            }
        }
        if (next.empty()) break;
        frontier = next;
    }
    const auto nodes = static_cast<int>(out.tree.size());
    auto node = [&] { return NodeId{static_cast<std::uint32_t>(r.range(0, nodes - 1))}; };

    auto& cfg = out.site.settings;
    cfg.mode = r.chance(20) ? PolicyMode::Strict : PolicyMode::Standard;
    cfg.safety_margin = r.amps(0, 10);
    cfg.min_current = r.chance(10) ? Amps::whole(r.range(0, 10)) : Amps::whole(6);
    cfg.calm_step = r.chance(25) ? r.amps(0, 3) : Amps{};
    cfg.start_margin = r.chance(25) ? r.amps(0, 3) : Amps{};

    const int stations = r.range(shape.min_stations, shape.max_stations);
    static constexpr int kMax[] = {0, 10, 16, 16, 20, 32, 32, 32, 63};
    for (int i = 0; i < stations; ++i) {
        StationInput s;
        s.id = "CP" + std::to_string(i);
        s.node = node();
        s.phase_count = r.chance(30) ? 1 : 3;
        s.rotation = *PhaseRotation::parse(kRotations[r.below(6)], 3);
        s.max_current = Amps::whole(kMax[r.below(std::size(kMax))]);
        if (r.chance(50)) s.fallback = Amps::milli(r.range(0, static_cast<int>(s.max_current.milliamps() / 100)) * 100);
        s.fallback_trusted = r.chance(75);
        s.priority = r.chance(70) ? 0 : r.range(-1, 3);
        s.state = random_state(r);
        int c = r.range(0, 99);
        s.control = c < 70 ? Control::Managed : c < 90 ? Control::Unmanaged : Control::Rejected;
        s.limit_in_force = Amps::milli(r.range(0, static_cast<int>(s.max_current.milliamps() / 100)) * 100);
        s.limit_known = s.control == Control::Managed || r.chance(50);
        s.wants_current = r.chance(70);
        s.holds_last_limit = s.state == DeviceState::Offline && r.chance(50);
        if (r.chance(40)) {
            std::array<Amps, 3> m{};
            for (auto& v : m) v = Amps::milli(r.range(0, static_cast<int>(s.max_current.milliamps() / 100) + 5) * 100);
            s.measured = m;
            s.draw_predates_limit = r.chance(25);
        }
        // A 1- or 2-phase vehicle on a 3-phase station, as the controller saw it draw.
        if (s.phase_count == 3 && r.chance(20)) {
            s.vehicle_terminals.insert(Phase::L1);
            if (r.chance(30)) s.vehicle_terminals.insert(Phase::L2);
        }
        s.turn = r.below(6);
        out.site.stations.push_back(std::move(s));
    }
    const int meters = r.range(0, 3);
    for (int i = 0; i < meters; ++i) {
        MeterInput m;
        m.id = "m" + std::to_string(i);
        m.node = node();
        m.measures = r.chance(50) ? MeterMeasures::Total : MeterMeasures::NonEv;
        m.state = random_state(r);
        for (Phase p : kAllPhases) m.current[p] = r.amps(0, 120);
        m.fallback = r.amps(0, 80);
        out.site.meters.push_back(std::move(m));
    }
    const int ems = r.range(0, 2);
    for (int i = 0; i < ems; ++i) {
        EmsInput e;
        e.id = "e" + std::to_string(i);
        e.node = node();
        e.state = random_state(r);
        for (Phase p : kAllPhases) e.reserved[p] = r.amps(0, 40);
        e.fallback = r.amps(0, 60);
        out.site.ems.push_back(std::move(e));
    }
    return out;
}

std::string RandomSite::describe() const {
    return std::to_string(tree.size()) + " nodes, " + std::to_string(site.stations.size()) + " stations, " +
           std::to_string(site.meters.size()) + " meters, " + std::to_string(site.ems.size()) + " EMS, " +
           (site.settings.mode == PolicyMode::Strict ? "strict" : "standard") + ", margin " +
           format(site.settings.safety_margin) + ", min " + format(site.settings.min_current) + ", site fuse " +
           format(tree.node(FuseTree::root()).limit);
}

}  // namespace fuseguard::policy::test
