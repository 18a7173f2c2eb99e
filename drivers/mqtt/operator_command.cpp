#include "operator_command.hpp"

#include <nlohmann/json.hpp>

namespace fuseguard::mqttlink {

std::optional<ParsedCommand> parse_operator_command(std::string_view prefix, std::string_view topic,
                                                    std::string_view payload) {
    constexpr std::string_view kHead = "/cmd/chargers/";
    if (topic.size() < prefix.size() + kHead.size() || topic.substr(0, prefix.size()) != prefix ||
        topic.substr(prefix.size(), kHead.size()) != kHead)
        return std::nullopt;
    const auto rest = topic.substr(prefix.size() + kHead.size());
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    return parse_command(std::string(rest.substr(0, slash)), std::string(rest.substr(slash + 1)), payload);
}

ParsedCommand parse_command(std::string station, std::string action, std::string_view payload) {
    OperatorCommand command;
    command.station = std::move(station);
    command.action = std::move(action);
    auto invalid = [&](std::string why) { return ParsedCommand{InvalidCommand{command.action, std::move(why)}}; };

    nlohmann::json args = nlohmann::json::object();
    if (!payload.empty()) {
        args = nlohmann::json::parse(payload, nullptr, false);
        if (args.is_discarded() || !args.is_object()) return invalid("the payload must be empty or a JSON object");
    }
    if (command.action == "reset") command.kind = CommandKind::Reset;
    else if (command.action == "trigger_status") command.kind = CommandKind::TriggerStatus;
    else if (command.action == "unlock") {
        command.kind = CommandKind::Unlock;
        if (args.contains("connector")) {
            const auto& c = args["connector"];
            if (!c.is_number_integer() || c.get<long long>() < 1 || c.get<long long>() > 99)
                return invalid("connector must be an integer from 1 to 99");
            command.connector = c.get<int>();
        }
    } else {
        return invalid("unknown action: use reset, unlock or trigger_status");
    }
    return command;
}

}  // namespace fuseguard::mqttlink
