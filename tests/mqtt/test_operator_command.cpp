// The reading of an operator's command topic and payload (SPEC 8); the
// commands themselves, end to end, are in controller/test_controller.cpp.
#include <doctest/doctest.h>

#include "drivers/mqtt/operator_command.hpp"

using namespace fuseguard::mqttlink;

namespace {

std::string why(const std::optional<ParsedCommand>& parsed) {
    REQUIRE(parsed);
    REQUIRE(std::holds_alternative<InvalidCommand>(*parsed));
    return std::get<InvalidCommand>(*parsed).why;
}

}  // namespace

TEST_CASE("operator commands: the topic names the station and the action, the payload only unlock's connector") {
    auto reset = parse_operator_command("fg", "fg/cmd/chargers/CP 1/reset", "");
    REQUIRE(reset);
    const auto& r = std::get<OperatorCommand>(*reset);
    CHECK(r.station == "CP 1");
    CHECK(r.kind == CommandKind::Reset);

    auto unlock = parse_operator_command("fg", "fg/cmd/chargers/CP1/unlock", R"({"connector": 99})");
    REQUIRE(unlock);
    CHECK(std::get<OperatorCommand>(*unlock).kind == CommandKind::Unlock);
    CHECK(std::get<OperatorCommand>(*unlock).connector == 99);
    CHECK(std::get<OperatorCommand>(*parse_operator_command("fg", "fg/cmd/chargers/CP1/unlock", "{}")).connector == 1);
    CHECK(std::get<OperatorCommand>(*parse_operator_command("fg", "fg/cmd/chargers/CP1/trigger_status", "{}")).kind ==
          CommandKind::TriggerStatus);

    SUBCASE("not a command topic of this prefix: nothing to answer") {
        CHECK_FALSE(parse_operator_command("fg", "fgx/cmd/chargers/CP1/reset", ""));
        CHECK_FALSE(parse_operator_command("fg", "other/cmd/chargers/CP1/reset", ""));
        CHECK_FALSE(parse_operator_command("fg", "fg/cmd/chargers/CP1", ""));
        CHECK_FALSE(parse_operator_command("fg", "fg/cmd/charger", ""));
    }
    SUBCASE("refused with the reason") {
        CHECK(why(parse_operator_command("fg", "fg/cmd/chargers/CP1/unlock", R"({"connector": 0})")).find("1 to 99") !=
              std::string::npos);
        CHECK(why(parse_operator_command("fg", "fg/cmd/chargers/CP1/unlock", R"({"connector": 100})")) != "");
        CHECK(why(parse_operator_command("fg", "fg/cmd/chargers/CP1/unlock", R"({"connector": 2.5})")) != "");
        CHECK(why(parse_operator_command("fg", "fg/cmd/chargers/CP1/unlock", R"({"connector": "2"})")) != "");
        CHECK(why(parse_operator_command("fg", "fg/cmd/chargers/CP1/unlock", R"({"connector": 1e30})")) != "");
        CHECK(why(parse_operator_command("fg", "fg/cmd/chargers/CP1/reset", "[1]")).find("JSON object") !=
              std::string::npos);
        CHECK(why(parse_operator_command("fg", "fg/cmd/chargers/CP1/reset", "{")).find("JSON object") !=
              std::string::npos);
        CHECK(why(parse_operator_command("fg", "fg/cmd/chargers/CP1/reset/now", "")).find("unknown action") !=
              std::string::npos);
    }
}
