// The real fuseguard as local controller between stations and an ocpp-rpc
// CSMS in strict mode: what the CSMS asks of the stations' limits, counted
// from the stations' side.
#include <doctest/doctest.h>

#include "common/node_peer.hpp"
#include "small_site.hpp"

using namespace fuseguard::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

std::string backend_section(const CsmsPeer& csms) {
    return "backend: { url: '" + csms.url() + "', reconnect_max_s: 1 }\n";
}

// A 1.6 station maximum from the CSMS, in force from the start of 2026.
json station_max(int id, double amps) {
    return {{"connectorId", 0},
            {"csChargingProfiles",
             {{"chargingProfileId", id},
              {"stackLevel", 0},
              {"chargingProfilePurpose", "ChargePointMaxProfile"},
              {"chargingProfileKind", "Absolute"},
              {"chargingSchedule",
               {{"startSchedule", "2026-01-01T00:00:00Z"},
                {"chargingRateUnit", "A"},
                {"chargingSchedulePeriod", {{{"startPeriod", 0}, {"limit", amps}}}}}}}}};
}

}  // namespace

TEST_SUITE("LocalController") {
    TEST_CASE("a CSMS limit below a station's share binds, one above it is capped by the fuse") {
        CsmsPeer csms("-");
        Site site(40, {32, 32}, true, "", backend_section(csms));
        for (auto& s : site.stations) {
            s->boot();
            s->status(1, "Charging");
        }
        REQUIRE(csms.peer.wait_step("connected", {{"identity", "S0"}}));
        REQUIRE(csms.peer.wait_step("connected", {{"identity", "S1"}}));
        for (auto& s : site.stations) REQUIRE(holds(*s, 20));
        const auto from = AutoStation::now();

        CHECK(csms.call("S0", "SetChargingProfile", station_max(7, 11)) == "Accepted");
        CHECK(holds(*site.stations[0], 11));
        CHECK(holds(*site.stations[1], 29));  // what S0 may not use goes to S1
        CHECK(site.process->wait_for("ocpp: S0: backend limit 11 A", 5s));

        // Raised by the CSMS above the fuse share: the fuse decides.
        CHECK(csms.call("S0", "SetChargingProfile", station_max(7, 32)) == "Accepted");
        CHECK(holds(*site.stations[1], 20));
        CHECK(holds(*site.stations[0], 20));
        // Cleared: the same.
        CHECK(csms.call("S0", "ClearChargingProfile", {{"id", 7}}) == "Accepted");
        CHECK(csms.call("S0", "ClearChargingProfile", {{"id", 7}}) == "Unknown");

        const auto peak = station_side_peak(site.all(), 32, from);
        INFO("peak at the ", peak.at);
        CHECK(peak.peak_a <= 40);
        // The CSMS's profiles never reached the stations.
        for (auto& s : site.stations)
            for (const auto& c : s->calls("SetChargingProfile")) CHECK(c.payload.dump().find("2026-01-01") == std::string::npos);
    }
}
