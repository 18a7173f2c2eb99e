#pragma once
// What each station may hold from fuseguard's profiles, kept in state_dir
// (`held_limits.json`) so that a restarted fuseguard counts a station it has
// not heard from yet at that limit until the station's own profiles have
// stepped it down (SPEC 1: after a crash or an update the stations still hold
// the profiles of the previous run). The file only ever errs high: a limit
// that may raise what a station holds is on disk before it is sent, a lower
// one is written once accepted, at most once a minute.
#include <map>
#include <optional>
#include <set>
#include <string>

namespace fuseguard::controller {

class HeldLimitStore {
public:
    // Reads `path`; a missing file is empty, a broken one too: it is kept
    // aside as <path>.broken-<UTC time> and logged, and every station is
    // counted as the configuration says without it.
    explicit HeldLimitStore(std::string path);

    std::optional<double> held(const std::string& id) const;
    // Before a limit goes out: if it is above what is recorded, it is
    // recorded, and written by the next flush().
    void may_hold(const std::string& id, double amps);
    // Writes what may_hold() recorded, if anything; once per plan, before
    // any of its limits is sent.
    void flush();
    // What the stations are known to hold now; recorded values above them
    // come down, written if anything changed.
    void settle(const std::map<std::string, double>& holding);

    // Whether the station's failsafe was verified when last checked
    // (GetCompositeSchedule): a restarted fuseguard counts it at its
    // fallback once its step is due only then. Written at once on a change.
    bool verified(const std::string& id) const { return verified_.count(id) > 0; }
    void set_verified(const std::string& id, bool verified);

    // Whether the station was found drawing above the limits it accepted
    // (limit_obeyed.cpp) and had not shown it obeys since: a restarted
    // fuseguard goes on counting it at its capacity until a report shows it
    // within its limit. Written at once on a change.
    bool ignores_limits(const std::string& id) const { return ignoring_.count(id) > 0; }
    void set_ignores_limits(const std::string& id, bool ignores);

private:
    void write();
    std::string path_;
    bool dirty_ = false;
    std::map<std::string, double> held_;
    std::set<std::string> verified_;
    std::set<std::string> ignoring_;
};

}  // namespace fuseguard::controller
