#include "uptime.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <stdexcept>

#include "drivers/log.hpp"
#include "drivers/sqlite_state.hpp"
#include "drivers/sqlite_statement.hpp"

namespace fuseguard::controller {

using sqlite::Statement;

namespace {

double seconds(UptimeTracker::Clock::time_point t) {
    return std::chrono::duration<double>(t.time_since_epoch()).count();
}
constexpr double kDay = 86400;
constexpr double kKeep = 31 * kDay;  // older history is dropped at start

double overlap(double a0, double a1, double b0, double b1) { return std::max(0.0, std::min(a1, b1) - std::max(a0, b0)); }

}  // namespace

UptimeTracker::UptimeTracker(const std::string& db_path, Clock::time_point now) {
    const double t = seconds(now);
    sqlite::open_state(
        db_, db_path, "uptime", [&] { read(t); },
        [&] {
            runs_.clear();
            intervals_.clear();
            evses_.clear();
        });
}

UptimeTracker::~UptimeTracker() {
    if (!db_) return;
    try {
        alive(Clock::now(), true);
    } catch (...) {
    }
    sqlite3_close(db_);
}

void UptimeTracker::exec(const char* sql) { sqlite::exec(db_, sql); }

void UptimeTracker::read(double now) {
    exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
         "CREATE TABLE IF NOT EXISTS runs(start REAL NOT NULL, alive REAL NOT NULL);"
         "CREATE TABLE IF NOT EXISTS downtime(station TEXT NOT NULL, evse INTEGER NOT NULL, category TEXT NOT NULL,"
         " start REAL NOT NULL, end REAL);"
         "CREATE TABLE IF NOT EXISTS evses(station TEXT NOT NULL, evse INTEGER NOT NULL, PRIMARY KEY(station, evse));");
    // What the last run left open ended when it was last known alive.
    double last_alive = 0;
    {
        Statement q(db_, "SELECT MAX(alive) FROM runs");
        if (q.step()) last_alive = q.real(0);
    }
    {
        Statement close_open(db_, "UPDATE downtime SET end = MAX(start, ?1) WHERE end IS NULL");
        close_open.bind(1, last_alive);
        close_open.step();
    }
    {
        Statement drop(db_, "DELETE FROM downtime WHERE end < ?1");
        drop.bind(1, now - kKeep);
        drop.step();
        Statement drop_runs(db_, "DELETE FROM runs WHERE alive < ?1");
        drop_runs.bind(1, now - kKeep);
        drop_runs.step();
    }
    {
        Statement q(db_, "SELECT start, alive FROM runs ORDER BY start");
        while (q.step()) runs_.push_back({q.real(0), q.real(1)});
    }
    {
        Statement q(db_, "SELECT rowid, station, evse, category, start, end FROM downtime ORDER BY start");
        while (q.step())
            intervals_[{q.text(1), static_cast<int>(q.integer(2))}].push_back({q.real(4), q.real(5), q.text(3), q.integer(0)});
    }
    {
        Statement q(db_, "SELECT station, evse FROM evses ORDER BY station, evse");
        while (q.step()) evses_[q.text(0)].push_back(static_cast<int>(q.integer(1)));
    }
    Statement ins(db_, "INSERT INTO runs(start, alive) VALUES(?1, ?1)");
    ins.bind(1, now);
    ins.step();
    run_row_ = sqlite3_last_insert_rowid(db_);
    runs_.push_back({now, now});
    last_alive_write_ = now;
}

void UptimeTracker::alive(Clock::time_point now, bool force) {
    const double t = seconds(now);
    runs_.back().alive = t;
    if (!force && t - last_alive_write_ < 30) return;
    last_alive_write_ = t;
    try {
        Statement up(db_, "UPDATE runs SET alive = ?1 WHERE rowid = ?2");
        up.bind(1, t).bind(2, run_row_);
        up.step();
    } catch (const std::exception& e) {
        log::warning(std::string("uptime: cannot record: ") + e.what());
    }
}

void UptimeTracker::add_evse(const std::string& station, int evse) {
    auto& list = evses_[station];
    if (std::find(list.begin(), list.end(), evse) != list.end()) return;
    list.push_back(evse);
    std::sort(list.begin(), list.end());
    try {
        Statement ins(db_, "INSERT OR IGNORE INTO evses(station, evse) VALUES(?1, ?2)");
        ins.bind(1, station).bind(2, static_cast<std::int64_t>(evse));
        ins.step();
    } catch (const std::exception& e) {
        log::warning(std::string("uptime: cannot record: ") + e.what());
    }
}

std::vector<int> UptimeTracker::evses(const std::string& station) const {
    auto it = evses_.find(station);
    if (it == evses_.end() || it->second.empty()) return {1};
    return it->second;
}

bool UptimeTracker::set(const std::string& station, int evse, std::optional<std::string> category,
                        Clock::time_point now) {
    const double t = seconds(now);
    auto& list = intervals_[{station, evse}];
    const bool open = !list.empty() && list.back().end == 0;
    if (open && category && list.back().category == *category) return false;
    if (!open && !category) return false;
    try {
        if (open) {
            list.back().end = t;
            Statement up(db_, "UPDATE downtime SET end = ?1 WHERE rowid = ?2");
            up.bind(1, t).bind(2, list.back().row);
            up.step();
        }
        if (category) {
            Statement ins(db_, "INSERT INTO downtime(station, evse, category, start) VALUES(?1, ?2, ?3, ?4)");
            ins.bind(1, station).bind(2, static_cast<std::int64_t>(evse)).bind(3, *category).bind(4, t);
            ins.step();
            list.push_back({t, 0, *category, sqlite3_last_insert_rowid(db_)});
        }
    } catch (const std::exception& e) {
        log::warning(std::string("uptime: cannot record: ") + e.what());
        if (category && (list.empty() || list.back().end != 0)) list.push_back({t, 0, *category, 0});
    }
    return true;
}

UptimeTracker::Figures UptimeTracker::figures(const std::string& station, int evse, Clock::time_point now) const {
    const double t = seconds(now);
    Figures f;
    auto window = [&](double from) -> std::optional<double> {
        double observed = 0, down = 0;
        for (const auto& r : runs_) observed += overlap(r.start, &r == &runs_.back() ? t : r.alive, from, t);
        if (auto it = intervals_.find({station, evse}); it != intervals_.end())
            for (const auto& i : it->second) down += overlap(i.start, i.end == 0 ? t : i.end, from, t);
        if (observed <= 0) return std::nullopt;
        return std::clamp(100.0 * (observed - down) / observed, 0.0, 100.0);
    };
    f.percent_24h = window(t - kDay);
    f.percent_30d = window(t - 30 * kDay);
    if (auto it = intervals_.find({station, evse}); it != intervals_.end()) {
        for (const auto& i : it->second) {
            const double d = overlap(i.start, i.end == 0 ? t : i.end, t - 30 * kDay, t);
            if (d > 0) f.downtime_s_30d[i.category] += d;
        }
        if (!it->second.empty() && it->second.back().end == 0) f.down_for = it->second.back().category;
    }
    return f;
}

}  // namespace fuseguard::controller
