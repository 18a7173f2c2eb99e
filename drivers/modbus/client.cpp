#include "client.hpp"

#include <cerrno>
#include <cmath>

namespace fuseguard::modbus {

Client::Client(const config::ModbusConfig& transport) {
    if (const auto* tcp = std::get_if<config::TcpEndpoint>(&transport.transport)) {
        name_ = tcp->host + ":" + std::to_string(tcp->port);
        // The _pi variant resolves host names and IPv6 addresses too.
        ctx_ = modbus_new_tcp_pi(tcp->host.c_str(), std::to_string(tcp->port).c_str());
    } else {
        const auto& s = std::get<config::SerialEndpoint>(transport.transport);
        name_ = s.device + " " + std::to_string(s.baud) + " " + std::to_string(s.data_bits) + s.parity +
                std::to_string(s.stop_bits);
        ctx_ = modbus_new_rtu(s.device.c_str(), s.baud, s.parity, s.data_bits, s.stop_bits);
    }
    if (!ctx_) create_error_ = std::string("cannot set up ") + name_ + ": " + modbus_strerror(errno);
}

Client::~Client() {
    close();
    if (ctx_) modbus_free(ctx_);
}

std::string Client::connect() {
    if (!ctx_) return create_error_;
    if (connected_) return {};
    if (modbus_connect(ctx_) != 0) return "cannot connect to " + name_ + ": " + modbus_strerror(errno);
    connected_ = true;
    return {};
}

void Client::close() {
    if (ctx_ && connected_) modbus_close(ctx_);
    connected_ = false;
}

ReadResult Client::read(int unit_id, double timeout_s, const ReadBlock& block) {
    if (!connected_) return ReadError{ReadError::Kind::NotConnected, 0, "not connected to " + name_};
    modbus_set_slave(ctx_, unit_id);
    const double whole = std::floor(timeout_s);
    modbus_set_response_timeout(ctx_, static_cast<std::uint32_t>(whole),
                                static_cast<std::uint32_t>((timeout_s - whole) * 1e6));
    std::vector<std::uint16_t> words(block.count);
    errno = 0;
    const int n = block.function == RegisterFunction::Input
                      ? modbus_read_input_registers(ctx_, block.start, block.count, words.data())
                      : modbus_read_registers(ctx_, block.start, block.count, words.data());
    if (n == block.count) return words;
    const int err = errno;
    const std::string what = std::string(block.function == RegisterFunction::Input ? "input" : "holding") +
                             " registers " + std::to_string(block.start) + "+" + std::to_string(block.count) +
                             " from unit " + std::to_string(unit_id) + " at " + name_;
    if (n >= 0) return ReadError{ReadError::Kind::Garbled, 0, "short answer reading " + what};
    if (err > MODBUS_ENOBASE && err < MODBUS_ENOBASE + 12) {
        const int code = err - MODBUS_ENOBASE;
        return ReadError{ReadError::Kind::Exception, code,
                         "Modbus exception " + std::to_string(code) + " (" + modbus_strerror(err) + ") reading " + what};
    }
    if (err == ETIMEDOUT) {
        // A late answer could still arrive and be taken for the next one.
        modbus_flush(ctx_);
        return ReadError{ReadError::Kind::Timeout, 0, "timeout reading " + what};
    }
    if (err == EMBBADDATA || err == EMBBADCRC || err == EMBBADEXC || err == EMBMDATA || err == EMBBADSLAVE) {
        modbus_flush(ctx_);
        return ReadError{ReadError::Kind::Garbled, 0, std::string(modbus_strerror(err)) + " reading " + what};
    }
    // The connection is gone (reset, refused, broken pipe): reconnect next time.
    close();
    return ReadError{ReadError::Kind::Io, 0, std::string(modbus_strerror(err)) + " reading " + what};
}

}  // namespace fuseguard::modbus
