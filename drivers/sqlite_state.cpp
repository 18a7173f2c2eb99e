#include "sqlite_state.hpp"

#include <chrono>
#include <filesystem>

#include "drivers/iso8601.hpp"
#include "drivers/log.hpp"

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

std::string set_aside(const std::string& path) {
    // 2026-12-06T14:05:09Z -> 20261206T140509Z: no colons in a file name.
    std::string stamp;
    for (char c : iso8601(std::chrono::system_clock::now()))
        if (c != '-' && c != ':') stamp += c;
    const std::string aside = path + ".broken-" + stamp;
    std::error_code ec;
    std::filesystem::rename(path, aside, ec);
    if (ec) return {};
    for (const char* suffix : {"-wal", "-shm"}) {
        std::error_code ignored;
        if (std::filesystem::exists(path + suffix, ignored)) std::filesystem::rename(path + suffix, aside + suffix, ignored);
    }
    return aside;
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
        const std::string aside = set_aside(path);
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
