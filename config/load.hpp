#pragma once
// Reads and validates a configuration file. Never throws on bad input:
// every problem comes back as a Diagnostic, all of them at once.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config.hpp"
#include "diagnostic.hpp"

namespace fuseguard::config {

struct LoadResult {
    std::optional<Config> config;  // set only when there are no errors
    std::vector<Diagnostic> errors;
    std::vector<Diagnostic> warnings;
    bool ok() const { return config.has_value(); }
};

LoadResult load_file(const std::string& path);
// `source` names the text in messages (a file name, or "<test>").
LoadResult load_string(std::string_view yaml, const std::string& source);

}  // namespace fuseguard::config
