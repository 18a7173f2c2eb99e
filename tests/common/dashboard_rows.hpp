#pragma once
// The dashboard's stations table, as the page drew it and as MQTT says it
// should be: one "id|state|limit" string per station, so that a test can
// compare the two (test_dashboard.cpp, test_demo.cpp).
#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>

#include "headless_chromium.hpp"

namespace fuseguard::test {

// The rows of the page's stations table, in the page's order.
inline nlohmann::json stations_table(HeadlessChromium& browser) {
    return browser.evaluate(
        "[...document.querySelectorAll('#stations tbody tr')].map(r => r.dataset.station + '|' + "
        "r.cells[2].textContent + '|' + r.cells[4].textContent)");
}

// What the page should show for a station, from its chargers/<id> payload:
// its state, and its limit while managed ("–" otherwise).
inline std::string station_row(const std::string& id, const nlohmann::json& charger) {
    char limit[32] = "–";
    if (charger.value("managed", false)) std::snprintf(limit, sizeof limit, "%.1f A", charger["limit_a"].get<double>());
    return id + "|" + charger.value("state", std::string()) + "|" + limit;
}

}  // namespace fuseguard::test
