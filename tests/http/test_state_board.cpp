// The board keeps the last payload per topic and tells live pages of changes only.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "drivers/http/state_board.hpp"

using namespace fuseguard::http;

namespace {
struct Recorder : StateBoard::Watcher {
    std::vector<std::pair<std::string, std::string>> seen;
    int resets = 0;
    void updated(const std::string& topic, const std::string& body) override { seen.emplace_back(topic, body); }
    void reset() override { ++resets; }
};
}  // namespace

TEST_SUITE("HttpStateBoard") {
    TEST_CASE("a watcher is told of a changed payload, not of the same one again") {
        StateBoard board;
        auto w = std::make_shared<Recorder>();
        board.watch(w);
        board.put("chargers/A", R"({"limit_a":16})");
        board.put("chargers/A", R"({"limit_a":16})");
        board.put("chargers/A", R"({"limit_a":10})");
        REQUIRE(w->seen.size() == 2);
        CHECK(w->seen[1] == std::pair<std::string, std::string>("chargers/A", R"({"limit_a":10})"));
        CHECK(*board.body("chargers/A") == R"({"limit_a":10})");
    }

    TEST_CASE("the snapshot is valid JSON whatever the topics are called") {
        StateBoard board;
        board.put("chargers/quote\"d", "{}");
        board.put("notifications", R"([{"title":"a\nb"}])");
        const auto j = nlohmann::json::parse(board.snapshot());
        CHECK(j.size() == 2);
        CHECK(j["chargers/quote\"d"].is_object());
        CHECK(j["notifications"][0]["title"] == "a\nb");
        CHECK(nlohmann::json::parse(StateBoard().snapshot()).empty());
    }

    TEST_CASE("clearing empties the board and tells watchers; one that went away is forgotten") {
        StateBoard board;
        auto kept = std::make_shared<Recorder>();
        board.watch(kept);
        {
            auto gone = std::make_shared<Recorder>();
            board.watch(gone);
            CHECK(board.watchers() == 2);
        }
        board.put("site", "{}");
        board.clear();
        CHECK(board.topics() == 0);
        CHECK(kept->resets == 1);
        CHECK(board.watchers() == 1);
    }
}
