#pragma once
// The dashboard's page, script and style sheet, compiled into the binary
// (generated from drivers/http/dashboard/ by CMake): nothing is fetched from
// anywhere else, and an installed fuseguard needs no data directory for them.
#include <cstddef>
#include <string_view>

namespace fuseguard::http {

struct Asset {
    std::string_view path;          // "/", "/dashboard.js", ...
    std::string_view content_type;
    std::string_view body;
};

// Null when `path` is not one of them.
const Asset* find_asset(std::string_view path);

// The files as embed_assets.cmake wrote them, by file name.
struct EmbeddedFile {
    std::string_view name;
    std::string_view body;
};
extern const EmbeddedFile kEmbeddedFiles[];
extern const std::size_t kEmbeddedFileCount;

}  // namespace fuseguard::http
