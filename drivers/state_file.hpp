#pragma once
// A file in state_dir that fuseguard cannot read (damaged, truncated,
// written by something else) is kept for whoever wants to look at it,
// renamed <path>.broken-<UTC time>, and fuseguard starts a fresh one.
#include <initializer_list>
#include <string>

namespace fuseguard {

// Renames `path`, and `path` + each of `companions` that exists (SQLite's
// "-wal" and "-shm"), to <path>.broken-<UTC time>[companion], with "-2",
// "-3"... after the time when that name is taken. Returns the
// new name, or an empty string when `path` could not be renamed.
std::string keep_aside(const std::string& path, std::initializer_list<const char*> companions = {});

}  // namespace fuseguard
