#pragma once
// `fuseguard --check-config FILE`: the installer's pre-flight.
#include <iosfwd>
#include <string>

namespace fuseguard::controller {

// Validates the file and, when valid, prints the worst case per node and
// phase (every device offline) and the stations it would starve. Returns
// the process exit code: 0 valid, 1 invalid.
int check_config(const std::string& path, std::ostream& out, std::ostream& err);

}  // namespace fuseguard::controller
