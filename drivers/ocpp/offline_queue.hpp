#pragma once
// What the CSMS missed while it was unreachable (fuseguard as local
// controller, docs/ocpp.md "Local controller"): each station's transaction
// messages in the order it sent them, its last BootNotification, and the
// 1.6 transaction ids fuseguard handed out meanwhile with the CSMS's own
// once replayed; and the tags the CSMS accepted (LocalAuthorization's
// cache). Kept in SQLite in state_dir, so a restart loses nothing.
// Used on the io_context thread only.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace fuseguard::ocpp {

class OfflineQueue {
public:
    // Opens (creates) the file. A damaged one is kept aside and a fresh
    // queue started; one that cannot be used at all gives way to memory
    // (drivers/sqlite_state.hpp). Either is logged.
    explicit OfflineQueue(const std::string& path);
    ~OfflineQueue();
    OfflineQueue(const OfflineQueue&) = delete;
    OfflineQueue& operator=(const OfflineQueue&) = delete;

    struct Message {
        std::int64_t seq = 0;
        std::string action;
        nlohmann::json payload;  // as the station sent it, its timestamps included
        std::optional<std::string> local_transaction;  // a StartTransaction's: the id fuseguard answered
    };
    // Appends a message; past `limit` for this station the oldest
    // MeterValues go first. Returns how many were dropped.
    int push(const std::string& station, const std::string& action, const nlohmann::json& payload, int limit,
             const std::optional<std::string>& local_transaction = std::nullopt);
    std::optional<Message> front(const std::string& station);
    void pop(std::int64_t seq);
    std::size_t depth(const std::string& station);

    // A 1.6 transaction id fuseguard gave while the CSMS was away: none yet
    // for the CSMS's, until its StartTransaction is replayed.
    void map_transaction(const std::string& station, const std::string& local_id,
                         const std::optional<std::string>& backend_id);
    // Whether `id` is one fuseguard gave (outer), and the CSMS's id for it
    // when known (inner).
    std::optional<std::optional<std::string>> backend_transaction(const std::string& station, const std::string& id);
    void forget_transaction(const std::string& station, const std::string& local_id);

    void set_boot(const std::string& station, const nlohmann::json& payload);
    std::optional<nlohmann::json> boot(const std::string& station);

    // The authorization cache: a tag the CSMS accepted, until `expiry`
    // (ISO 8601 as the CSMS wrote it) when it gave one.
    struct AcceptedTag {
        std::string tag;
        std::optional<std::string> expiry;
    };
    void keep_accepted_tag(const std::string& tag, const std::optional<std::string>& expiry);
    void drop_accepted_tag(const std::string& tag);
    std::vector<AcceptedTag> accepted_tags();  // in the order they were learnt

private:
    void read();  // the schema, then the transaction ids kept
    sqlite3* db_ = nullptr;
    // The transactions table, read once: it is asked for every 1.6
    // MeterValues relayed, and written only when ids change.
    std::map<std::pair<std::string, std::string>, std::optional<std::string>> transactions_;
};

}  // namespace fuseguard::ocpp
