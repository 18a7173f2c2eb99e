#include "operator_commands.hpp"

#include <nlohmann/json.hpp>

#include "drivers/log.hpp"
#include "drivers/ocpp/outbound.hpp"
#include "state_publisher.hpp"

namespace fuseguard::controller {

using nlohmann::json;

OperatorCommands::OperatorCommands(std::function<ocpp::Server*()> server) : server_(std::move(server)) {}

void OperatorCommands::on_message(mqttlink::MqttLink& link, const std::string& topic, const std::string& payload) {
    const auto parsed = mqttlink::parse_operator_command(link.prefix(), topic, payload);
    if (!parsed) return;
    run(*parsed, "mqtt", [&link, topic](const std::string&, const std::string& answer) {
        link.publish(topic + "/result", answer);
    });
}

void OperatorCommands::run(const mqttlink::ParsedCommand& parsed, const std::string& who, Done done) {
    auto answer = [done](const std::string& action, const std::string& status, const std::string& detail) {
        done(status, json{{"action", action}, {"status", status}, {"detail", detail}, {"ts", iso8601(WallClock::now(), true)}}
                         .dump());
    };
    if (const auto* bad = std::get_if<mqttlink::InvalidCommand>(&parsed)) {
        log::warning(who + ": operator command " + bad->action + " refused: " + bad->why);
        return answer(bad->action, "Invalid", bad->why);
    }
    const auto& command = std::get<mqttlink::OperatorCommand>(parsed);
    const auto& id = command.station;
    const auto& action = command.action;
    log::info(who + ": operator command " + action + " for " + id);
    std::function<ocpp::outbound::Request(ocpp::Version)> make;
    switch (command.kind) {
        case mqttlink::CommandKind::Reset: make = [](ocpp::Version v) { return ocpp::outbound::reset_request(v); }; break;
        case mqttlink::CommandKind::Unlock:
            make = [connector = command.connector](ocpp::Version v) {
                return ocpp::outbound::unlock_connector_request(v, connector);
            };
            break;
        case mqttlink::CommandKind::TriggerStatus:
            make = [](ocpp::Version v) { return ocpp::outbound::trigger_status_request(v); };
            break;
    }

    auto* server = server_();
    if (!server) return answer(action, "Offline", "the OCPP endpoint is not running");
    if (!server->station(id)) return answer(action, "Invalid", "no charger " + id + " in the configuration");
    const bool sent = server->command(id, make, [alive = std::weak_ptr<bool>(alive_), action, answer](const std::string& status) {
        if (!alive.lock()) return;
        if (status == "Timeout") return answer(action, "Timeout", "no answer from the station");
        const bool ok = status == "Accepted" || status == "Unlocked" || status == "Scheduled";
        answer(action, ok ? "Accepted" : "Rejected", status);
    });
    if (!sent) answer(action, "Offline", id + " is not connected");
}

}  // namespace fuseguard::controller
