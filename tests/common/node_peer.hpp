#pragma once
// A node peer from tests/ocpp/interop (ocpp-rpc CSMS or station) that prints
// one JSON object per line and takes commands on stdin, one per line.
#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "child_process.hpp"
#include "ocpp_rpc.hpp"

namespace fuseguard::test {

class NodePeer {
public:
    NodePeer(const std::string& script, const std::vector<std::string>& args)
        : proc_(ocpp_rpc_command(script, args)) {}

    // The lines printed so far that are JSON objects.
    std::vector<nlohmann::json> lines() {
        proc_.read_available();
        std::vector<nlohmann::json> out;
        std::istringstream in(proc_.output());
        for (std::string line; std::getline(in, line);) {
            auto j = nlohmann::json::parse(line, nullptr, false);
            if (j.is_object()) out.push_back(std::move(j));
        }
        return out;
    }
    // The first line from the `from`th on matching `pred`, waiting up to
    // `deadline` for it.
    std::optional<nlohmann::json> wait(const std::function<bool(const nlohmann::json&)>& pred,
                                       std::chrono::milliseconds deadline = std::chrono::seconds(10),
                                       std::size_t from = 0) {
        const auto until = std::chrono::steady_clock::now() + deadline;
        do {
            const auto all = lines();
            for (std::size_t i = from; i < all.size(); ++i)
                if (pred(all[i])) return all[i];
            proc_.wait_for("\x01never", std::chrono::milliseconds(20));
        } while (std::chrono::steady_clock::now() < until);
        return std::nullopt;
    }
    // The first line whose `step` is `step` and whose fields include `fields`.
    std::optional<nlohmann::json> wait_step(const std::string& step, const nlohmann::json& fields = nlohmann::json::object(),
                                            std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
        return wait(
            [&](const nlohmann::json& j) {
                if (j.value("step", "") != step) return false;
                for (auto& [k, v] : fields.items())
                    if (!j.contains(k) || j[k] != v) return false;
                return true;
            },
            deadline);
    }
    // The frames it printed (step "frame") in direction `dir` ("in" or "out").
    std::vector<std::string> frames(const std::string& dir) {
        std::vector<std::string> out;
        for (auto& j : lines())
            if (j.value("step", "") == "frame" && j.value("dir", "") == dir) out.push_back(j["message"].get<std::string>());
        return out;
    }
    void command(const nlohmann::json& cmd) { proc_.write(cmd.dump() + "\n"); }
    // Sends `cmd` (a call of `method`) and waits for the "result" or
    // "error" line it printed for it.
    std::optional<nlohmann::json> request(const nlohmann::json& cmd, const std::string& method,
                                          std::chrono::milliseconds deadline) {
        const auto from = lines().size();
        command(cmd);
        return wait(
            [&](const nlohmann::json& j) {
                return (j.value("step", "") == "result" || j.value("step", "") == "error") && j["method"] == method;
            },
            deadline, from);
    }
    const std::string& output() const { return proc_.output(); }
    ChildProcess& process() { return proc_; }

private:
    ChildProcess proc_;
};

// The operator's CSMS (tests/ocpp/interop/csms.mjs): ocpp-rpc's RPCServer in
// strict mode on a free port; `password` "-" takes any.
struct CsmsPeer {
    // `port` 0: any free one. `first_transaction`: the first transactionId it gives.
    explicit CsmsPeer(const std::string& password, int answer_delay_ms = 0, std::uint16_t listen_port = 0,
                      int first_transaction = 4242)
        : peer("csms.mjs", {password, std::to_string(answer_delay_ms), std::to_string(listen_port),
                            std::to_string(first_transaction)}) {
        auto listening = peer.wait_step("listening");
        INFO(peer.output());
        REQUIRE(listening);
        port = static_cast<std::uint16_t>((*listening)["port"].get<int>());
    }
    // Calls `method` on station `identity` and returns the status of its
    // answer ("" when it had none; the error's code when it failed).
    std::string call(const std::string& identity, const std::string& method, const nlohmann::json& params) {
        auto r = peer.request({{"call", method}, {"identity", identity}, {"params", params}}, method,
                              std::chrono::seconds(20));
        INFO(peer.output());
        REQUIRE(r);
        if ((*r)["step"] == "error") return "error: " + (*r)["why"].get<std::string>();
        return (*r)["result"].value("status", "");
    }
    std::string url() const { return "ws://127.0.0.1:" + std::to_string(port) + "/ocpp"; }
    NodePeer peer;
    std::uint16_t port = 0;
};

}  // namespace fuseguard::test
