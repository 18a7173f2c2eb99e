#include "diagnostic.hpp"

namespace fuseguard::config {

std::string Diagnostic::to_string() const {
    std::string out = file;
    if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
    out += severity == Severity::Error ? ": error: " : ": warning: ";
    if (!key.empty()) out += key + ": ";
    out += message;
    return out;
}

std::string to_string(const std::vector<Diagnostic>& ds) {
    std::string out;
    for (const auto& d : ds) out += d.to_string() + "\n";
    return out;
}

}  // namespace fuseguard::config
