// libFuzzer: an installer's YAML file, through the loader, its validation
// and the diagnostics it prints (config/load.hpp).
#include <cstdint>
#include <string_view>

#include "config/diagnostic.hpp"
#include "config/load.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view yaml(reinterpret_cast<const char*>(data), size);
    const auto result = fuseguard::config::load_string(yaml, "fuzz.yaml");
    (void)fuseguard::config::to_string(result.errors);
    (void)fuseguard::config::to_string(result.warnings);
    return 0;
}
