#include "comma_list.hpp"

#include <algorithm>

namespace fuseguard::ocpp {

std::vector<std::string_view> comma_list(std::string_view text) {
    std::vector<std::string_view> items;
    for (std::size_t pos = 0; pos <= text.size();) {
        const auto comma = std::min(text.find(',', pos), text.size());
        std::string_view item = text.substr(pos, comma - pos);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        items.push_back(item);
        pos = comma + 1;
    }
    return items;
}

bool comma_list_has(std::string_view text, std::string_view item) {
    const auto items = comma_list(text);
    return std::find(items.begin(), items.end(), item) != items.end();
}

}  // namespace fuseguard::ocpp
