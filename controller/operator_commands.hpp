#pragma once
// Operator commands (SPEC 8): reset, unlock and trigger_status, from MQTT
// (`<prefix>/cmd/chargers/<id>/<action>`, answered on `.../result`) or from
// a logged-in dashboard (POST /api/chargers/<id>/<action>, answered in the
// response). Both run the same OCPP call and get the same answer,
// {action, status, detail, ts}. Bad commands get an Invalid answer, never an
// exception.
#include <functional>
#include <memory>
#include <string>

#include "drivers/mqtt/mqtt_link.hpp"
#include "drivers/mqtt/operator_command.hpp"
#include "drivers/ocpp/server.hpp"

namespace fuseguard::controller {

class OperatorCommands {
public:
    // status: Accepted, Rejected, Timeout, Offline or Invalid; payload: the
    // answer as JSON.
    using Done = std::function<void(const std::string& status, const std::string& payload)>;

    // `server` may return null (OCPP side not listening): every command is Offline.
    explicit OperatorCommands(std::function<ocpp::Server*()> server);

    // The filter to subscribe to, under the prefix.
    static constexpr const char* kSubscription = "cmd/chargers/+/+";

    // A message on the MQTT command topics: answered on `topic + "/result"`.
    void on_message(mqttlink::MqttLink& link, const std::string& topic, const std::string& payload);

    // Runs a command; `done` is called once, on the loop, unless a reload
    // replaces this object first. `who` says where it came from, for the log.
    void run(const mqttlink::ParsedCommand& parsed, const std::string& who, Done done);

private:
    std::function<ocpp::Server*()> server_;
    // An answer may come after a reload replaced us: it is then dropped.
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace fuseguard::controller
