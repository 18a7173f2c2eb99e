#pragma once
// Operator commands over MQTT (SPEC 8): `<prefix>/cmd/chargers/<id>/<action>`
// runs the OCPP call that the recommended steps name, and the answer goes to
// `.../result` as {action, status, detail, ts}. Bad commands get an Invalid
// answer, never an exception.
#include <functional>
#include <memory>
#include <string>

#include "drivers/mqtt/mqtt_link.hpp"
#include "drivers/ocpp/server.hpp"

namespace fuseguard::controller {

class OperatorCommands {
public:
    // `server` may be null (OCPP side not listening): every command is Offline.
    OperatorCommands(mqttlink::MqttLink& link, std::function<ocpp::Server*()> server);

    // The filter to subscribe to, under the prefix.
    static constexpr const char* kSubscription = "cmd/chargers/+/+";

    void on_message(const std::string& topic, const std::string& payload);

private:
    void answer(const std::string& topic, const std::string& action, const std::string& status,
                const std::string& detail);

    mqttlink::MqttLink& link_;
    std::function<ocpp::Server*()> server_;
    // An answer may come after a reload replaced us: it is then dropped.
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace fuseguard::controller
