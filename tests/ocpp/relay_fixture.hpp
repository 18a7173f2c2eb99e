#pragma once
// What the local-controller tests share: a backend section pointing at a
// test CSMS, a relayed station entry, and an ocpp-rpc station driven from
// the test (driven_station.mjs).
#include <doctest/doctest.h>

#include "common/node_peer.hpp"
#include "ocpp_fixture.hpp"

namespace fuseguard::test {

inline config::BackendConfig backend_at(std::uint16_t port, double answer_timeout_s = 5) {
    config::BackendConfig b;
    b.url = "ws://127.0.0.1:" + std::to_string(port) + "/ocpp";
    b.host = "127.0.0.1";
    b.port = port;
    b.path = "/ocpp/";
    b.answer_timeout_s = answer_timeout_s;
    b.reconnect_max_s = 1;
    return b;
}

inline ocpp::Server::Station relayed(const std::string& id, std::optional<std::string> backend_password) {
    ocpp::Server::Station s{id, std::nullopt, 6.0, 32.0};
    s.backend_password = std::move(backend_password);
    return s;
}

// An ocpp-rpc station in strict mode, driven from the test.
struct DrivenStation {
    DrivenStation(std::uint16_t port, const std::string& id, const std::string& protocol = "ocpp1.6")
        : peer("driven_station.mjs", {std::to_string(port), id, protocol}) {
        INFO(peer.output());
        REQUIRE(peer.wait_step("connected"));
    }
    // Calls `method` and returns its result (or the error line).
    nlohmann::json call(const std::string& method, const nlohmann::json& params, std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
        auto line = peer.request({{"call", method}, {"params", params}}, method, deadline);
        INFO(peer.output());
        REQUIRE(line);
        return *line;
    }
    NodePeer peer;
};

inline nlohmann::json boot_params() { return {{"chargePointVendor", "Relay"}, {"chargePointModel", "Strict"}}; }


}  // namespace fuseguard::test
