#include "operator_commands.hpp"

#include <nlohmann/json.hpp>

#include "drivers/log.hpp"
#include "drivers/mqtt/operator_command.hpp"
#include "drivers/ocpp/outbound.hpp"
#include "state_publisher.hpp"

namespace fuseguard::controller {

using nlohmann::json;

OperatorCommands::OperatorCommands(mqttlink::MqttLink& link, std::function<ocpp::Server*()> server)
    : link_(link), server_(std::move(server)) {}

void OperatorCommands::answer(const std::string& topic, const std::string& action, const std::string& status,
                              const std::string& detail) {
    link_.publish(topic + "/result",
                  json{{"action", action}, {"status", status}, {"detail", detail}, {"ts", iso8601(WallClock::now(), true)}}.dump());
}

void OperatorCommands::on_message(const std::string& topic, const std::string& payload) {
    const auto parsed = mqttlink::parse_operator_command(link_.prefix(), topic, payload);
    if (!parsed) return;
    if (const auto* bad = std::get_if<mqttlink::InvalidCommand>(&*parsed)) {
        log::warning("mqtt: operator command " + bad->action + " refused: " + bad->why);
        return answer(topic, bad->action, "Invalid", bad->why);
    }
    const auto& command = std::get<mqttlink::OperatorCommand>(*parsed);
    const auto& id = command.station;
    const auto& action = command.action;
    log::info("mqtt: operator command " + action + " for " + id);
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
    if (!server || !server->station(id)) {
        if (server && !server->station(id)) return answer(topic, action, "Invalid", "no charger " + id + " in the configuration");
        return answer(topic, action, "Offline", "the OCPP endpoint is not running");
    }
    const bool sent = server->command(id, make, [this, alive = std::weak_ptr<bool>(alive_), topic, action](const std::string& status) {
        if (!alive.lock()) return;
        if (status == "Timeout") return answer(topic, action, "Timeout", "no answer from the station");
        const bool ok = status == "Accepted" || status == "Unlocked" || status == "Scheduled";
        answer(topic, action, ok ? "Accepted" : "Rejected", status);
    });
    if (!sent) answer(topic, action, "Offline", id + " is not connected");
}

}  // namespace fuseguard::controller
