#pragma once
// Stations nobody here wrote: npm's ocpp-rpc in strict mode, run by the
// node scripts in tests/ocpp/interop (scripts/test.sh installs the package).
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

namespace fuseguard::test {

// The command line that runs tests/ocpp/interop/<script> with `args`.
inline std::vector<std::string> ocpp_rpc_command(const std::string& script, const std::vector<std::string>& args) {
    const std::string dir = FUSEGUARD_SOURCE_DIR "/tests/ocpp/interop";
    REQUIRE_MESSAGE(std::filesystem::exists(dir + "/node_modules/ocpp-rpc"),
                    "run `npm ci` in tests/ocpp/interop (scripts/test.sh does)");
    std::vector<std::string> argv{"/usr/bin/env", "node", dir + "/" + script};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

}  // namespace fuseguard::test
