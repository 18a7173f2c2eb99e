#pragma once
// Log lines on stderr, which journald captures. One write per line so lines
// from several threads never interleave.
#include <string_view>

namespace fuseguard::log {

// Plain: the message carries its own severity (configuration diagnostics).
enum class Level { Plain, Debug, Info, Warning, Error };

void write(Level level, std::string_view message);
// Lines below `level` are not written (Plain always is). Benchmarks raise it
// so that the product's lines do not become the load they measure.
void set_threshold(Level level);
inline void info(std::string_view m) { write(Level::Info, m); }
inline void warning(std::string_view m) { write(Level::Warning, m); }
inline void error(std::string_view m) { write(Level::Error, m); }
inline void plain(std::string_view m) { write(Level::Plain, m); }

}  // namespace fuseguard::log
