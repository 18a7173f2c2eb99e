// Answers no Modbus device should give: a raw socket server in a thread
// replies with garbage or with a well-framed answer of the wrong length.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <thread>

#include "device_config.hpp"
#include "drivers/modbus/device_reader.hpp"

using namespace fuseguard;
using namespace fuseguard::modbus;

namespace {

class RawServer {
public:
    explicit RawServer(std::function<std::vector<std::uint8_t>(const std::uint8_t* request)> answer)
        : answer_(std::move(answer)) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        REQUIRE(::listen(fd_, 4) == 0);
        socklen_t len = sizeof a;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~RawServer() {
        running_ = false;
        thread_.join();
        ::close(fd_);
    }
    std::uint16_t port() const { return port_; }

private:
    void serve() {
        int client = -1;
        while (running_) {
            pollfd p{client < 0 ? fd_ : client, POLLIN, 0};
            if (::poll(&p, 1, 20) <= 0) continue;
            if (client < 0) {
                client = ::accept(fd_, nullptr, nullptr);
                continue;
            }
            std::uint8_t req[260];
            if (::read(client, req, sizeof req) <= 0) {
                ::close(client);
                client = -1;
                continue;
            }
            const auto reply = answer_(req);
            [[maybe_unused]] auto n = ::write(client, reply.data(), reply.size());
        }
        if (client >= 0) ::close(client);
    }
    std::function<std::vector<std::uint8_t>(const std::uint8_t*)> answer_;
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> running_{true};
    std::thread thread_;
};

ReadOutcome read_from(std::uint16_t port) {
    auto dev = test::tcp_device("m", port, 1, 0.3);
    dev.registers["current_a"] = test::per_phase(0, config::RegisterType::Uint16);
    Client client(dev.modbus);
    return DeviceReader(DeviceKind::Meter, dev, 2500).read(client);
}

}  // namespace

TEST_SUITE("Garbled") {
    TEST_CASE("garbage bytes are not a reading") {
        RawServer server([](const std::uint8_t*) { return std::vector<std::uint8_t>(9, 0xFF); });
        auto out = read_from(server.port());
        CHECK_FALSE(out.reading);
        CHECK_FALSE(out.error.empty());
    }

    TEST_CASE("a well-framed answer with too few registers is not a reading") {
        RawServer server([](const std::uint8_t* req) {
            // Same transaction id, unit and function; 1 register instead of 3.
            return std::vector<std::uint8_t>{req[0], req[1], 0, 0, 0, 5, req[6], 3, 2, 0, 42};
        });
        auto out = read_from(server.port());
        CHECK_FALSE(out.reading);
        CHECK_FALSE(out.error.empty());
    }

    TEST_CASE("an answer for another transaction is not taken for ours") {
        RawServer server([](const std::uint8_t* req) {
            return std::vector<std::uint8_t>{static_cast<std::uint8_t>(req[0] + 1), req[1], 0, 0, 0, 9, req[6], 3, 6,
                                             0, 1, 0, 2, 0, 3};
        });
        auto out = read_from(server.port());
        CHECK_FALSE(out.reading);
        CHECK_FALSE(out.error.empty());
    }
}
