#pragma once
// State fuseguard keeps in SQLite files under state_dir (uptime, the local
// controller's offline queue) is a record, never a reason not to run: a
// damaged file is kept aside for whoever wants to look at it and a fresh
// one started; a file that cannot be used at all gives way to memory.
#include <sqlite3.h>

#include <functional>
#include <stdexcept>
#include <string>

namespace fuseguard::sqlite {

// The file is not a database, or SQLite found it malformed (truncated,
// overwritten, a disk that lost writes).
struct Damaged : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Throws Damaged when SQLite's quick_check finds `db` damaged, before
// anything is read from it; std::runtime_error when it cannot tell.
void check_intact(sqlite3* db);

enum class Opened {
    File,       // the file as it was
    FreshFile,  // the damaged file was set aside, a fresh one started
    Memory,     // nothing on disk: kept in memory until the next start
};

// Opens `path` into `db` (closing whatever `db` held), checks it is intact
// and calls `read()` to create the schema and load what the owner keeps in
// memory, which throws on failure. A damaged file is set aside and a fresh
// one tried; any other failure, or a second one, falls back to ":memory:".
// `forget()` drops what a failed `read()` may have loaded. `what` names the
// state in the log lines ("uptime").
Opened open_state(sqlite3*& db, const std::string& path, const std::string& what, const std::function<void()>& read,
                  const std::function<void()>& forget);

}  // namespace fuseguard::sqlite
