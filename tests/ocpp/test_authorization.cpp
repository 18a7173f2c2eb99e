#include <doctest/doctest.h>

#include "drivers/ocpp/authorization.hpp"

using namespace fuseguard;
using ocpp::LocalAuthorization;

namespace {
config::AuthorizationConfig listing(bool accept_unknown) {
    config::AuthorizationConfig a;
    a.accept_unknown = accept_unknown;
    a.tags = {{"04A2B3C4", 5, {}}, {"FLEET-7", 0, {}}};
    return a;
}
}  // namespace

TEST_SUITE("LocalAuthorization") {
    TEST_CASE("with neither a list nor a CSMS every tag charges, as before") {
        LocalAuthorization auth(std::nullopt, false);
        CHECK(auth.status("ANY") == "Accepted");
        CHECK_FALSE(auth.priority("ANY"));
    }

    TEST_CASE("a list restricts charging to its tags unless unknown tags are accepted") {
        LocalAuthorization auth(listing(false), false);
        CHECK(auth.status("04A2B3C4") == "Accepted");
        CHECK(auth.status("FLEET-7") == "Accepted");
        CHECK(auth.status("STRANGER") == "Invalid");
        CHECK(auth.priority("04A2B3C4") == 5);
        CHECK_FALSE(auth.priority("STRANGER"));
        auth.configure(listing(true), false);
        CHECK(auth.status("STRANGER") == "Accepted");
    }

    TEST_CASE("with a CSMS, only tags it accepted before (or listed ones) charge while it is away") {
        LocalAuthorization auth(std::nullopt, true);
        CHECK(auth.status("TAG1") == "Invalid");
        auth.learn("TAG1", "Accepted");
        CHECK(auth.status("TAG1") == "Accepted");
        auth.learn("TAG1", "Blocked");  // the CSMS changed its mind
        CHECK(auth.status("TAG1") == "Invalid");
        auth.learn("TAG2", "Accepted");
        // A reload with a list keeps what the CSMS said.
        auth.configure(listing(false), true);
        CHECK(auth.status("TAG2") == "Accepted");
        CHECK(auth.status("FLEET-7") == "Accepted");
        CHECK(auth.status("TAG3") == "Invalid");
        CHECK(auth.cached() == 1);
    }

    TEST_CASE("a cached tag past the CSMS's expiry is unknown again") {
        LocalAuthorization auth(std::nullopt, true);
        const auto t0 = std::chrono::system_clock::now();
        auth.learn("DAY", "Accepted", t0 + std::chrono::hours(24));
        auth.learn("EVER", "Accepted");
        CHECK(auth.status("DAY", t0) == "Accepted");
        CHECK(auth.status("DAY", t0 + std::chrono::hours(25)) == "Invalid");
        CHECK(auth.status("EVER", t0 + std::chrono::hours(25)) == "Accepted");
    }

    TEST_CASE("the cache is bounded: the tag learnt longest ago makes room") {
        LocalAuthorization auth(std::nullopt, true);
        int evictions = 0;
        for (std::size_t i = 0; i < LocalAuthorization::kMaxCachedTags; ++i)
            evictions += auth.learn("T" + std::to_string(i), "Accepted").has_value();
        CHECK(evictions == 0);
        auth.learn("T0", "Accepted");  // learnt again: now the newest
        const auto evicted = auth.learn("NEW", "Accepted");
        REQUIRE(evicted);
        CHECK(*evicted == "T1");
        CHECK(auth.cached() == LocalAuthorization::kMaxCachedTags);
        CHECK(auth.status("T0") == "Accepted");
        CHECK(auth.status("T1") == "Invalid");
        CHECK(auth.status("NEW") == "Accepted");
    }
}
