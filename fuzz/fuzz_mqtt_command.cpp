// libFuzzer: an operator's command over MQTT (SPEC 8), topic and payload as
// the broker hands them over. The input is the topic, a newline, then the
// payload. Beyond "no crash", it checks what a command that is taken must
// be: its topic is the prefix's command topic for exactly that station and
// action, the action is one fuseguard runs, the connector within 1 to 99.
#include <cstdint>
#include <string>
#include <string_view>

#include "drivers/mqtt/operator_command.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace fuseguard::mqttlink;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto newline = input.find('\n');
    const auto topic = input.substr(0, newline);
    const auto payload = newline == std::string_view::npos ? std::string_view{} : input.substr(newline + 1);
    constexpr std::string_view kPrefix = "fuseguard";

    const auto parsed = parse_operator_command(kPrefix, topic, payload);
    if (!parsed) return 0;
    if (const auto* command = std::get_if<OperatorCommand>(&*parsed)) {
        if (std::string(kPrefix) + "/cmd/chargers/" + command->station + "/" + command->action != topic) __builtin_trap();
        if (command->connector < 1 || command->connector > 99) __builtin_trap();
        const bool known = (command->kind == CommandKind::Reset && command->action == "reset") ||
                           (command->kind == CommandKind::Unlock && command->action == "unlock") ||
                           (command->kind == CommandKind::TriggerStatus && command->action == "trigger_status");
        if (!known) __builtin_trap();
    } else if (std::get<InvalidCommand>(*parsed).why.empty()) {
        __builtin_trap();  // refused without saying why
    }
    return 0;
}
