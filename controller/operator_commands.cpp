#include "operator_commands.hpp"

#include <nlohmann/json.hpp>

#include "drivers/log.hpp"
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
    const std::string head = link_.prefix() + "/cmd/chargers/";
    if (topic.rfind(head, 0) != 0) return;
    const auto rest = topic.substr(head.size());
    const auto slash = rest.find('/');
    if (slash == std::string::npos) return;
    const auto id = rest.substr(0, slash);
    const auto action = rest.substr(slash + 1);
    log::info("mqtt: operator command " + action + " for " + id);

    // An empty payload means "defaults"; anything else must be a JSON object.
    json args = json::object();
    if (!payload.empty()) {
        args = json::parse(payload, nullptr, false);
        if (args.is_discarded() || !args.is_object())
            return answer(topic, action, "Invalid", "the payload must be empty or a JSON object");
    }
    int connector = 1;
    if (action == "unlock" && args.contains("connector")) {
        const auto& c = args["connector"];
        if (!c.is_number_integer() || c.get<long long>() < 1 || c.get<long long>() > 99)
            return answer(topic, action, "Invalid", "connector must be an integer from 1");
        connector = c.get<int>();
    }
    std::function<ocpp::outbound::Request(ocpp::Version)> make;
    if (action == "reset") make = [](ocpp::Version v) { return ocpp::outbound::reset_request(v); };
    else if (action == "unlock") make = [connector](ocpp::Version v) { return ocpp::outbound::unlock_connector_request(v, connector); };
    else if (action == "trigger_status") make = [](ocpp::Version v) { return ocpp::outbound::trigger_status_request(v); };
    else return answer(topic, action, "Invalid", "unknown action: use reset, unlock or trigger_status");

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
