#pragma once
// OCPP's comma-separated lists (a station's CSL configuration values, the
// Sec-WebSocket-Protocol header): the items in order, spaces around each
// trimmed. The views point into `text`.
#include <string_view>
#include <vector>

namespace fuseguard::ocpp {

std::vector<std::string_view> comma_list(std::string_view text);
bool comma_list_has(std::string_view text, std::string_view item);

}  // namespace fuseguard::ocpp
