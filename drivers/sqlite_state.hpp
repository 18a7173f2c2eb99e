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

// Renames a damaged database and its -wal and -shm files to
// <path>.broken-<UTC time>; the new name, or an empty string when the
// rename failed.
std::string set_aside(const std::string& path);

enum class Opened {
    File,       // the file as it was
    FreshFile,  // the damaged file was set aside, a fresh one started
    Memory,     // nothing on disk: kept in memory until the next start
};

// Calls `open(path)`, which opens the database and reads it, throwing on
// failure (Damaged for a damaged file: call check_intact first). A
// damaged file is set aside and `open(path)` tried once more; any other
// failure, or a second one, calls `close()` and then `open(":memory:")`.
// `what` names the state in the log lines ("uptime").
Opened open_state(const std::string& path, const std::string& what, const std::function<void(const std::string&)>& open,
                  const std::function<void()>& close);

}  // namespace fuseguard::sqlite
