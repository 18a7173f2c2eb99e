// What each station may hold, kept across restarts (controller/held_limits.cpp).
#include <doctest/doctest.h>

#include <fstream>

#include "common/temp_dir.hpp"
#include "controller/held_limits.hpp"

using namespace fuseguard::controller;
using fuseguard::test::TempDir;

TEST_SUITE("Controller") {
    TEST_CASE("held limits: raises are on disk after a flush, lowerings once settled, and a restart reads them") {
        TempDir dir;
        const std::string path = (dir.path / "held_limits.json").string();
        {
            HeldLimitStore store(path);
            CHECK_FALSE(store.held("A"));
            store.may_hold("A", 20);
            CHECK(store.held("A") == 20);
            CHECK_FALSE(std::filesystem::exists(path));  // written by the flush, once per plan
            store.flush();
            CHECK(HeldLimitStore(path).held("A") == 20);
            store.may_hold("A", 12);  // a lowering: the station may still hold 20 A until it accepts
            store.may_hold("B", 32);
            store.flush();
            HeldLimitStore again(path);
            CHECK(again.held("A") == 20);
            CHECK(again.held("B") == 32);
            store.settle({{"A", 12}, {"B", 40}});  // settled values only ever come down
            CHECK(store.held("B") == 32);
        }
        const HeldLimitStore restarted(path);
        CHECK(restarted.held("A") == 12);
        CHECK(restarted.held("B") == 32);
        CHECK_FALSE(std::filesystem::exists(path + ".new"));
    }

    TEST_CASE("held limits: a verified failsafe is on disk at once, and an earlier file's limits still read") {
        TempDir dir;
        const auto path = dir.write("held_limits.json", R"({"A": 20})");  // before failsafes were verified
        HeldLimitStore store(path);
        CHECK(store.held("A") == 20);
        CHECK_FALSE(store.verified("A"));
        store.set_verified("A", true);
        CHECK(HeldLimitStore(path).verified("A"));
        CHECK(HeldLimitStore(path).held("A") == 20);
        store.set_verified("A", false);
        CHECK_FALSE(HeldLimitStore(path).verified("A"));
    }

    TEST_CASE("held limits: a station found ignoring its limits is on disk at once, until it obeys") {
        TempDir dir;
        const std::string path = (dir.path / "held_limits.json").string();
        HeldLimitStore store(path);
        CHECK_FALSE(store.ignores_limits("A"));
        store.set_ignores_limits("A", true);
        CHECK(HeldLimitStore(path).ignores_limits("A"));
        CHECK_FALSE(HeldLimitStore(path).ignores_limits("B"));
        store.set_verified("B", true);  // one list does not disturb the other
        CHECK(HeldLimitStore(path).ignores_limits("A"));
        store.set_ignores_limits("A", false);
        CHECK_FALSE(HeldLimitStore(path).ignores_limits("A"));
        CHECK(HeldLimitStore(path).verified("B"));
    }

    TEST_CASE("held limits: a file that is not what fuseguard writes is read as empty, and a broken one kept aside") {
        TempDir dir;
        for (const char* text : {"", "{", "[1,2]", "{\"A\": \"20\", \"B\": -3}"}) {
            CAPTURE(text);
            const auto path = dir.write("held_limits.json", text);
            HeldLimitStore store(path);
            CHECK_FALSE(store.held("A"));
            CHECK_FALSE(store.held("B"));
        }
        // Not JSON, or not an object: renamed aside, where the next write cannot overwrite it.
        // The last file above is an object fuseguard reads what it can from, and stays.
        CHECK(fuseguard::test::files_starting_with(dir.path, "held_limits.json.broken-").size() == 3);
        CHECK(std::filesystem::exists(dir.path / "held_limits.json"));
    }
}
