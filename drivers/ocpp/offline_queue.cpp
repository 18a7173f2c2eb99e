#include "offline_queue.hpp"

#include "drivers/log.hpp"
#include "drivers/sqlite_state.hpp"
#include "drivers/sqlite_statement.hpp"

namespace fuseguard::ocpp {

using sqlite::Statement;

OfflineQueue::OfflineQueue(const std::string& path) {
    // A damaged queue is kept aside: what the CSMS missed may still be read
    // from it by hand (docs/ocpp.md).
    sqlite::open_state(
        db_, path, "ocpp: the CSMS's offline queue", [this] { read(); }, [this] { transactions_.clear(); });
}

OfflineQueue::~OfflineQueue() {
    if (db_) sqlite3_close(db_);
}

void OfflineQueue::read() {
    // FULL: a message the station was told is taken must survive a power cut.
    sqlite::exec(db_,
                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                 "CREATE TABLE IF NOT EXISTS messages(seq INTEGER PRIMARY KEY AUTOINCREMENT, station TEXT NOT NULL,"
                 " action TEXT NOT NULL, payload TEXT NOT NULL, local_transaction TEXT);"
                 "CREATE INDEX IF NOT EXISTS messages_station ON messages(station, seq);"
                 "CREATE TABLE IF NOT EXISTS transactions(station TEXT NOT NULL, local_id TEXT NOT NULL,"
                 " backend_id TEXT, PRIMARY KEY(station, local_id));"
                 "CREATE TABLE IF NOT EXISTS boots(station TEXT PRIMARY KEY, payload TEXT NOT NULL);"
                 "CREATE TABLE IF NOT EXISTS accepted_tags(learnt INTEGER PRIMARY KEY AUTOINCREMENT,"
                 " tag TEXT NOT NULL UNIQUE, expiry TEXT);");
    Statement q(db_, "SELECT station, local_id, backend_id FROM transactions");
    while (q.step()) transactions_[{q.text(0), q.text(1)}] = q.is_null(2) ? std::nullopt : std::optional(q.text(2));
}

int OfflineQueue::push(const std::string& station, const std::string& action, const nlohmann::json& payload,
                       int limit, const std::optional<std::string>& local_transaction) {
    Statement insert(db_, "INSERT INTO messages(station, action, payload, local_transaction) VALUES(?, ?, ?, ?)");
    insert.bind(1, station).bind(2, action).bind(3, payload.dump());
    if (local_transaction) insert.bind(4, *local_transaction);
    else insert.bind_null(4);
    insert.step();
    int dropped = 0;
    while (depth(station) > static_cast<std::size_t>(limit)) {
        Statement oldest(db_, "SELECT seq FROM messages WHERE station = ? AND action = 'MeterValues' ORDER BY seq LIMIT 1");
        oldest.bind(1, station);
        if (!oldest.step()) break;  // transactions' starts and stops are never dropped
        pop(oldest.integer(0));
        ++dropped;
    }
    return dropped;
}

std::optional<OfflineQueue::Message> OfflineQueue::front(const std::string& station) {
    Statement q(db_,
                "SELECT seq, action, payload, local_transaction FROM messages WHERE station = ? ORDER BY seq LIMIT 1");
    q.bind(1, station);
    if (!q.step()) return std::nullopt;
    auto payload = nlohmann::json::parse(q.text(2), nullptr, false);
    return Message{q.integer(0), q.text(1), payload.is_discarded() ? nlohmann::json::object() : payload,
                   q.is_null(3) ? std::nullopt : std::optional(q.text(3))};
}

void OfflineQueue::pop(std::int64_t seq) {
    Statement(db_, "DELETE FROM messages WHERE seq = ?").bind(1, seq).step();
}

std::size_t OfflineQueue::depth(const std::string& station) {
    Statement q(db_, "SELECT COUNT(*) FROM messages WHERE station = ?");
    q.bind(1, station);
    q.step();
    return static_cast<std::size_t>(q.integer(0));
}

void OfflineQueue::map_transaction(const std::string& station, const std::string& local_id,
                                   const std::optional<std::string>& backend_id) {
    Statement s(db_, "INSERT OR REPLACE INTO transactions(station, local_id, backend_id) VALUES(?, ?, ?)");
    s.bind(1, station).bind(2, local_id);
    if (backend_id) s.bind(3, *backend_id);
    else s.bind_null(3);
    s.step();
    transactions_[{station, local_id}] = backend_id;
}

std::optional<std::optional<std::string>> OfflineQueue::backend_transaction(const std::string& station,
                                                                            const std::string& id) {
    const auto it = transactions_.find({station, id});
    if (it == transactions_.end()) return std::nullopt;
    return it->second;
}

void OfflineQueue::forget_transaction(const std::string& station, const std::string& local_id) {
    Statement(db_, "DELETE FROM transactions WHERE station = ? AND local_id = ?").bind(1, station).bind(2, local_id).step();
    transactions_.erase({station, local_id});
}

void OfflineQueue::set_boot(const std::string& station, const nlohmann::json& payload) {
    Statement(db_, "INSERT OR REPLACE INTO boots(station, payload) VALUES(?, ?)").bind(1, station).bind(2, payload.dump()).step();
}

std::optional<nlohmann::json> OfflineQueue::boot(const std::string& station) {
    Statement q(db_, "SELECT payload FROM boots WHERE station = ?");
    q.bind(1, station);
    if (!q.step()) return std::nullopt;
    auto payload = nlohmann::json::parse(q.text(0), nullptr, false);
    if (payload.is_discarded()) return std::nullopt;
    return payload;
}

void OfflineQueue::keep_accepted_tag(const std::string& tag, const std::optional<std::string>& expiry) {
    // Learnt again: the old row goes and a new one takes the next `learnt`,
    // so it moves to the end of the order, as in the memory cache.
    Statement s(db_, "INSERT OR REPLACE INTO accepted_tags(tag, expiry) VALUES(?, ?)");
    s.bind(1, tag);
    if (expiry) s.bind(2, *expiry);
    else s.bind_null(2);
    s.step();
}

void OfflineQueue::drop_accepted_tag(const std::string& tag) {
    Statement(db_, "DELETE FROM accepted_tags WHERE tag = ?").bind(1, tag).step();
}

std::vector<OfflineQueue::AcceptedTag> OfflineQueue::accepted_tags() {
    std::vector<AcceptedTag> tags;
    Statement q(db_, "SELECT tag, expiry FROM accepted_tags ORDER BY learnt");
    while (q.step()) tags.push_back({q.text(0), q.is_null(1) ? std::nullopt : std::optional(q.text(1))});
    return tags;
}

}  // namespace fuseguard::ocpp
