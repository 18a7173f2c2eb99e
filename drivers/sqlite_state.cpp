#include "sqlite_state.hpp"

#include "drivers/log.hpp"
#include "drivers/state_file.hpp"

namespace fuseguard::sqlite {

void check_intact(sqlite3* db) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &stmt, nullptr);
    std::string verdict;
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW) {
            const auto* text = sqlite3_column_text(stmt, 0);
            verdict = text ? reinterpret_cast<const char*>(text) : "";
        }
    }
    const int code = rc == SQLITE_ROW ? SQLITE_OK : sqlite3_errcode(db) & 0xff;
    const std::string message = sqlite3_errmsg(db);
    sqlite3_finalize(stmt);
    if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) throw Damaged(message);
    if (rc != SQLITE_ROW) throw std::runtime_error(message);
    if (verdict != "ok") throw Damaged(verdict);
}

namespace {

void close(sqlite3*& db) {
    if (db) sqlite3_close(db);
    db = nullptr;
}

}  // namespace

Opened open_state(sqlite3*& db, const std::string& path, const std::string& what, const std::function<void()>& read,
                  const std::function<void()>& forget) {
    auto attempt = [&](const std::string& file) {
        close(db);
        forget();
        if (sqlite3_open(file.c_str(), &db) != SQLITE_OK)
            throw std::runtime_error(db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_busy_timeout(db, 1000);
        check_intact(db);
        read();
    };
    auto in_memory = [&](const std::string& why) {
        log::error(what + ": cannot use " + path + " (" + why + "): keeping it in memory, a restart loses it");
        attempt(":memory:");
        return Opened::Memory;
    };
    try {
        attempt(path);
        return Opened::File;
    } catch (const Damaged& e) {
        close(db);
        const std::string aside = keep_aside(path, {"-wal", "-shm"});
        if (aside.empty()) return in_memory(std::string("damaged: ") + e.what() + ", and it cannot be renamed");
        log::error(what + ": " + path + " is damaged (" + e.what() + "): kept as " + aside + ", starting afresh");
        try {
            attempt(path);
            return Opened::FreshFile;
        } catch (const std::exception& again) {
            return in_memory(again.what());
        }
    } catch (const std::exception& e) {
        return in_memory(e.what());
    }
}

}  // namespace fuseguard::sqlite
