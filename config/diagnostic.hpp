#pragma once
// A problem found in a configuration file, with where it is and what was wanted.
#include <string>
#include <vector>

namespace fuseguard::config {

enum class Severity { Error, Warning };

struct Diagnostic {
    Severity severity = Severity::Error;
    std::string file;
    int line = 0;    // 1-based; 0 when the problem has no single place
    int column = 0;
    std::string key;  // e.g. "chargers[3].fallback_current_a"
    std::string message;

    // "site.yaml:7:3: error: chargers[3].fallback_current_a: expected ..."
    std::string to_string() const;
};

std::string to_string(const std::vector<Diagnostic>& ds);

}  // namespace fuseguard::config
