#include "drivers/log.hpp"

#include <string>
#include <unistd.h>

namespace fuseguard::log {

void write(Level level, std::string_view message) {
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
