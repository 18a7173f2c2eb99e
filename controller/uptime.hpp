#pragma once
// Uptime per EVSE (SPEC 7, OCA white paper): down while the station is
// offline, or the EVSE Faulted or Unavailable for a cause that is not the
// vehicle's. Intervals are kept in memory for the figures and written
// through to SQLite in state_dir, so a restart keeps the history. The time
// fuseguard itself was not running is left out of the figures: it was not
// observed, so it is neither uptime nor downtime.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace fuseguard::controller {

class UptimeTracker {
public:
    using Clock = std::chrono::system_clock;

    // Opens (or creates) `db_path`; ":memory:" keeps nothing. A damaged
    // database is kept aside and a fresh history started; one that cannot be
    // used at all is logged and replaced by memory: uptime is a report, not
    // a reason to stop load management (drivers/sqlite_state.hpp).
    UptimeTracker(const std::string& db_path, Clock::time_point now);
    ~UptimeTracker();
    UptimeTracker(const UptimeTracker&) = delete;
    UptimeTracker& operator=(const UptimeTracker&) = delete;

    // The EVSE is down for `category`, or up (nullopt). Repeats are free;
    // true when it changed.
    bool set(const std::string& station, int evse, std::optional<std::string> category, Clock::time_point now);
    // Records that fuseguard is still observing (written every 30 s at most).
    void alive(Clock::time_point now, bool force = false);

    struct Figures {
        std::optional<double> percent_24h, percent_30d;  // none before any observed time
        std::map<std::string, double> downtime_s_30d;    // by failure category
        std::optional<std::string> down_for;             // the current category when down
    };
    Figures figures(const std::string& station, int evse, Clock::time_point now) const;
    // The EVSEs seen for a station (EVSE 1 is assumed until one reports).
    std::vector<int> evses(const std::string& station) const;
    void add_evse(const std::string& station, int evse);

private:
    struct Interval {
        double start = 0, end = 0;  // seconds since the epoch; end 0 while open
        std::string category;
        std::int64_t row = 0;
    };
    struct Run {
        double start = 0, alive = 0;
    };
    void exec(const char* sql);
    void read(double now);  // the schema, then the history kept

    sqlite3* db_ = nullptr;
    std::int64_t run_row_ = 0;
    double last_alive_write_ = 0;
    std::vector<Run> runs_;
    std::map<std::pair<std::string, int>, std::vector<Interval>> intervals_;
    std::map<std::string, std::vector<int>> evses_;
};

}  // namespace fuseguard::controller
