#include "assets.hpp"

#include <vector>
#include <string>

namespace fuseguard::http {

namespace {

std::string_view type_of(std::string_view name) {
    auto ends = [&](std::string_view ext) { return name.size() >= ext.size() && name.substr(name.size() - ext.size()) == ext; };
    if (ends(".html")) return "text/html; charset=utf-8";
    if (ends(".js")) return "text/javascript; charset=utf-8";
    if (ends(".css")) return "text/css; charset=utf-8";
    if (ends(".svg")) return "image/svg+xml";
    return "application/octet-stream";
}

struct Table {
    std::vector<Asset> assets;
    std::vector<std::string> paths;
    Table() {
        paths.reserve(kEmbeddedFileCount);
        for (std::size_t i = 0; i < kEmbeddedFileCount; ++i) {
            const auto& f = kEmbeddedFiles[i];
            paths.push_back(f.name == "index.html" ? "/" : "/" + std::string(f.name));
        }
        for (std::size_t i = 0; i < kEmbeddedFileCount; ++i)
            assets.push_back({paths[i], type_of(kEmbeddedFiles[i].name), kEmbeddedFiles[i].body});
    }
};

}  // namespace

const Asset* find_asset(std::string_view path) {
    static const Table table;
    for (const auto& a : table.assets)
        if (a.path == path) return &a;
    return nullptr;
}

}  // namespace fuseguard::http
