#pragma once
// What an operator's command over MQTT asks for (SPEC 8): the topic
// `<prefix>/cmd/chargers/<id>/<action>` and its payload, read into a command
// or into the reason it is invalid. Nothing here sends anything: the
// controller's OperatorCommands runs the command and answers on `.../result`.
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace fuseguard::mqttlink {

enum class CommandKind { Reset, Unlock, TriggerStatus };

struct OperatorCommand {
    std::string station;
    std::string action;  // as in the topic, for the answer
    CommandKind kind = CommandKind::Reset;
    int connector = 1;  // unlock only: 1 to 99
};

struct InvalidCommand {
    std::string action;  // as in the topic, for the answer
    std::string why;
};

using ParsedCommand = std::variant<OperatorCommand, InvalidCommand>;

// None when `topic` is not a command topic under `prefix` at all (nothing to
// answer). A payload is empty (the defaults) or a JSON object.
std::optional<ParsedCommand> parse_operator_command(std::string_view prefix, std::string_view topic,
                                                    std::string_view payload);

// The same command named apart from a topic (the dashboard's
// POST /api/chargers/<station>/<action>).
ParsedCommand parse_command(std::string station, std::string action, std::string_view payload);

}  // namespace fuseguard::mqttlink
