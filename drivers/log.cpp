#include "drivers/log.hpp"

#include <atomic>
#include <string>
#include <unistd.h>

namespace fuseguard::log {

namespace {
std::atomic<Level> threshold{Level::Debug};
}  // namespace

void set_threshold(Level level) { threshold = level; }

void write(Level level, std::string_view message) {
    if (level != Level::Plain && level < threshold.load(std::memory_order_relaxed)) return;
    std::string line;
    switch (level) {
    case Level::Plain: break;
    case Level::Debug: line = "debug: "; break;
    case Level::Info: line = "info: "; break;
    case Level::Warning: line = "warning: "; break;
    case Level::Error: line = "error: "; break;
    }
    line.append(message);
    line.push_back('\n');
    // A failed log write has nowhere to be reported; ignore it.
    [[maybe_unused]] auto n = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace fuseguard::log
