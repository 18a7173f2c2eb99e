#pragma once
// One libmodbus connection (TCP or RTU), used by one thread at a time.
// Errors come back as values carrying libmodbus's own words.
#include <modbus/modbus.h>

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "config/config.hpp"
#include "register_map.hpp"

namespace fuseguard::modbus {

struct ReadError {
    enum class Kind { NotConnected, Timeout, Exception, Garbled, Io };
    Kind kind = Kind::Io;
    int exception_code = 0;  // for Kind::Exception
    std::string message;     // e.g. "Modbus exception 2 (Illegal data address)"
};

using ReadResult = std::variant<std::vector<std::uint16_t>, ReadError>;

class Client {
public:
    // `transport` names where to connect; unit and timeout are per request.
    explicit Client(const config::ModbusConfig& transport);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // Connects if not connected. Returns an empty string on success.
    std::string connect();
    void close();
    bool connected() const { return connected_; }
    // "127.0.0.1:502" or "/dev/ttyUSB0 9600 8N1"
    const std::string& name() const { return name_; }

    ReadResult read(int unit_id, double timeout_s, const ReadBlock& block);

private:
    modbus_t* ctx_ = nullptr;
    bool connected_ = false;
    std::string name_;
    std::string create_error_;
};

}  // namespace fuseguard::modbus
