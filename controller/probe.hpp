#pragma once
// `fuseguard --config FILE --probe meter:<id>`: the installer's wiring check.
// Reads the device once with its configured transport and map and prints
// every value with its unit, or the exact Modbus error.
#include <iosfwd>
#include <string_view>

#include "config/config.hpp"

namespace fuseguard::controller {

// Returns the exit code: 0 on a good reading, 1 otherwise, 2 on a bad target.
int probe(const config::Config& cfg, std::string_view target, bool verbose, std::ostream& out, std::ostream& err);

}  // namespace fuseguard::controller
