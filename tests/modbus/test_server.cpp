#include "test_server.hpp"

#include <arpa/inet.h>
#include <cstring>
#include <netinet/in.h>
#include <stdexcept>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bit>

namespace fuseguard::test {

TestModbusServer::TestModbusServer(std::uint16_t port) : port_(port) {
    mapping_ = modbus_mapping_new_start_address(0, 0, 0, 0, 0, 0xFFFF, 0, 0xFFFF);
    if (!mapping_) throw std::runtime_error("modbus_mapping_new failed");
    start();
}

TestModbusServer::~TestModbusServer() {
    stop();
    modbus_mapping_free(mapping_);
}

void TestModbusServer::set_holding(std::uint16_t address, const std::vector<std::uint16_t>& words) {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < words.size(); ++i) mapping_->tab_registers[address + i] = words[i];
}

void TestModbusServer::set_input(std::uint16_t address, const std::vector<std::uint16_t>& words) {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < words.size(); ++i) mapping_->tab_input_registers[address + i] = words[i];
}

void TestModbusServer::set_float(bool input, std::uint16_t address, float value, bool high_word_first) {
    const auto bits = std::bit_cast<std::uint32_t>(value);
    const auto hi = static_cast<std::uint16_t>(bits >> 16), lo = static_cast<std::uint16_t>(bits & 0xFFFF);
    const std::vector<std::uint16_t> words = high_word_first ? std::vector<std::uint16_t>{hi, lo}
                                                             : std::vector<std::uint16_t>{lo, hi};
    input ? set_input(address, words) : set_holding(address, words);
}

void TestModbusServer::fail_address(std::uint16_t address, int exception_code) {
    std::lock_guard lock(mutex_);
    std::erase_if(faults_, [&](const auto& f) { return f.first == address; });
    if (exception_code) faults_.emplace_back(address, exception_code);
}

void TestModbusServer::answer_units(std::set<int> units) {
    std::lock_guard lock(mutex_);
    units_ = std::move(units);
}

void TestModbusServer::start() {
    if (running_) return;
    running_ = true;
    listening_ = false;
    failure_.clear();
    thread_ = std::thread([this] {
        try {
            serve();
        } catch (const std::exception& e) {
            std::lock_guard lock(mutex_);
            failure_ = e.what();
            failed_ = true;
        }
    });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!listening_ && !failed_ && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (!listening_) {
        stop();
        std::lock_guard lock(mutex_);
        throw std::runtime_error("test Modbus server did not start: " + failure_);
    }
}

void TestModbusServer::stop() {
    running_ = false;
    failed_ = false;
    if (thread_.joinable()) thread_.join();
}

bool TestModbusServer::handle(modbus_t* ctx, int fd) {
    std::uint8_t query[MODBUS_TCP_MAX_ADU_LENGTH];
    modbus_set_socket(ctx, fd);
    const int rc = modbus_receive(ctx, query);
    if (rc == 0) return true;   // not for us (libmodbus filtered it)
    if (rc < 0) return false;   // closed or broken: drop the client
    ++requests_;
    const int header = modbus_get_header_length(ctx);
    const int unit = query[header - 1];
    const int function = query[header];
    const int address = (query[header + 1] << 8) | query[header + 2];
    const int count = (query[header + 3] << 8) | query[header + 4];
    if (delay_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_.load()));
    std::lock_guard lock(mutex_);
    if (!units_.count(unit)) return true;  // a dead device on a shared line: silence
    for (const auto& [fault_address, code] : faults_)
        if ((function == 3 || function == 4) && fault_address >= address && fault_address < address + count) {
            modbus_reply_exception(ctx, query, static_cast<unsigned>(code));
            return true;
        }
    return modbus_reply(ctx, query, rc, mapping_) >= 0;
}

void TestModbusServer::serve() {
    modbus_t* ctx = modbus_new_tcp("127.0.0.1", port_);  // 0 the first time: any free port
    if (!ctx) throw std::runtime_error("modbus_new_tcp failed");
    const int listener = modbus_tcp_listen(ctx, 8);
    if (listener < 0) {
        modbus_free(ctx);
        throw std::runtime_error(std::string("listen failed: ") + modbus_strerror(errno));
    }
    sockaddr_in addr{};
    socklen_t len = sizeof addr;
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    listening_ = true;

    std::set<int> clients;
    while (running_) {
        fd_set readable;
        FD_ZERO(&readable);
        FD_SET(listener, &readable);
        int top = listener;
        for (int c : clients) {
            FD_SET(c, &readable);
            top = std::max(top, c);
        }
        timeval tick{0, 20'000};  // wake regularly to notice stop()
        if (::select(top + 1, &readable, nullptr, nullptr, &tick) <= 0) continue;
        if (FD_ISSET(listener, &readable)) {
            const int c = ::accept(listener, nullptr, nullptr);
            if (c >= 0) clients.insert(c);
        }
        for (auto it = clients.begin(); it != clients.end();) {
            if (FD_ISSET(*it, &readable) && !handle(ctx, *it)) {
                ::close(*it);
                it = clients.erase(it);
            } else {
                ++it;
            }
        }
    }
    for (int c : clients) ::close(c);
    ::close(listener);
    modbus_free(ctx);
}

}  // namespace fuseguard::test
