// End to end: the profiles that carry fuseguard's limit are accepted by a
// station that checks them the way EVerest's libocpp does, with either
// purpose an installer may choose (drivers/ocpp/limit_profiles.cpp).
#include <doctest/doctest.h>

#include "small_site.hpp"

using namespace fuseguard::test;
using namespace std::chrono_literals;

TEST_SUITE("Controller") {
    TEST_CASE("a station applying EVerest's profile rules accepts every limit, for both purposes") {
        std::string purpose;
        SUBCASE("ChargePointMaxProfile") { purpose = "ChargePointMaxProfile"; }
        SUBCASE("TxDefaultProfile") { purpose = "TxDefaultProfile"; }
        CAPTURE(purpose);
        Site site(40, {32, 32}, true, ", profile_purpose: " + purpose);
        for (auto& s : site.stations) {
            // The least the failsafe layers need: stack levels 0 and 1, two periods.
            s->apply_profile_rules(fuseguard::ocpp::ProfileCapabilities{1, 2, true, false});
            s->boot();
            s->status(1, "Charging");
        }
        // 40 A shared by two cars, then one leaves and the other gets all. As
        // a TxDefaultProfile above the fallback layer the station limit is
        // never more than the 6 A fallback: a transaction's own profile raises it.
        const bool max = purpose == "ChargePointMaxProfile";
        auto holds = [max](AutoStation& s, double amps) {
            if (!max) amps = std::min(amps, 6.0);
            return s.wait_calls("SetChargingProfile", [&](const std::vector<ReceivedCall>& c) {
                return !c.empty() && limit_of(c.back().payload) == amps && c.back().answered_seq;
            });
        };
        CHECK(holds(*site.stations[0], 20));
        CHECK(holds(*site.stations[1], 20));
        site.stations[1]->status(1, "Available");
        CHECK(holds(*site.stations[0], 32));
        CHECK(holds(*site.stations[1], 0));
        for (auto& s : site.stations) {
            // Each also holds the fallback layer.
            CHECK(s->wait_calls("SetChargingProfile/fallback", [](auto& c) { return c.size() == 1 && c[0].answered_seq; }));
            const auto refused = s->refusals();
            INFO(s->id(), " refused: ", refused.empty() ? std::string("nothing") : refused.front());
            CHECK(refused.empty());
        }
    }
}
