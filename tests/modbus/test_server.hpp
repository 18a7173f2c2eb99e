#pragma once
// A real libmodbus TCP server on 127.0.0.1 in a thread of the test process,
// after libmodbus's own unit-test server: a register map both sides agree
// on, and faults switched on at will (an exception on an address, a slow
// answer, silence for a unit id, the server going away and coming back).
#include <modbus/modbus.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace fuseguard::test {

class TestModbusServer {
public:
    // Listening on `port` on loopback, or a free port when 0. The site
    // simulator (fuseguard-sim) serves its meter and EMS with it too.
    explicit TestModbusServer(std::uint16_t port = 0);
    ~TestModbusServer();
    TestModbusServer(const TestModbusServer&) = delete;
    TestModbusServer& operator=(const TestModbusServer&) = delete;

    std::uint16_t port() const { return port_; }

    void set_holding(std::uint16_t address, const std::vector<std::uint16_t>& words);
    void set_input(std::uint16_t address, const std::vector<std::uint16_t>& words);
    // Big-endian float (high word first) or swapped words.
    void set_float(bool input, std::uint16_t address, float value, bool high_word_first = true);

    // Requests touching `address` get this exception code; 0 clears it.
    void fail_address(std::uint16_t address, int exception_code);
    // Every answer waits this long first.
    void set_delay(std::chrono::milliseconds d) { delay_ms_ = static_cast<int>(d.count()); }
    // Only these unit ids are answered; the rest get silence.
    void answer_units(std::set<int> units);

    void stop();   // closes every socket: the device is gone
    void start();  // listens again on the same port
    int requests() const { return requests_; }

private:
    void serve();
    bool handle(modbus_t* ctx, int fd);

    std::uint16_t port_ = 0;
    modbus_mapping_t* mapping_ = nullptr;
    std::mutex mutex_;  // guards mapping_, faults_, units_
    std::vector<std::pair<std::uint16_t, int>> faults_;
    std::set<int> units_{1};
    std::atomic<int> delay_ms_{0};
    std::atomic<int> requests_{0};
    std::atomic<bool> running_{false};
    std::atomic<bool> listening_{false};
    std::atomic<bool> failed_{false};
    std::string failure_;
    std::thread thread_;
};

}  // namespace fuseguard::test
