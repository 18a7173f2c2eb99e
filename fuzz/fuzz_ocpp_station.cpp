// libFuzzer: what a station may send, as fuseguard's OCPP session takes it.
// The input is a conversation: its first byte picks 1.6 or 2.0.1, then one
// frame per line, fed to a real ChargerSession in order (so a boot, then a
// transaction, then meter values reach the handlers that need the earlier
// ones). A line "LIMIT <amps>" has fuseguard send the station a limit, whose
// profiles the later lines may answer ([3,"fg-1",...]). Every frame
// decoder, the dispatch of both versions and the answers run; nothing is
// sent anywhere.
#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "drivers/ocpp/charger_session.hpp"
#include "drivers/ocpp/server.hpp"

namespace {

using namespace fuseguard;

class FuzzSession final : public ocpp::ChargerSession, public std::enable_shared_from_this<FuzzSession> {
public:
    FuzzSession(boost::asio::io_context& io, ocpp::Server& server, ocpp::Version v)
        : ChargerSession(io.get_executor(), server, "FUZZ", v) {}
    void open() { opened(); }
    void feed(const std::string& frame) { handle(frame); }
    std::size_t sent = 0;

private:
    void send(std::string text) override { sent += text.size(); }
    void send_ping() override {}
    void shutdown() override {}
    std::shared_ptr<ChargerSession> self() override { return shared_from_this(); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const auto version = (data[0] & 1) ? ocpp::Version::V201 : ocpp::Version::V16;
    std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);

    boost::asio::io_context io;
    config::OcppConfig cfg;
    ocpp::Server server(io, cfg, {{"FUZZ", std::nullopt, 6.0, 32.0}}, [](ocpp::StationEvent) {});
    auto session = std::make_shared<FuzzSession>(io, server, version);
    session->open();
    while (!rest.empty()) {
        const auto end = rest.find('\n');
        const std::string line(rest.substr(0, end));
        rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
        if (line.rfind("LIMIT ", 0) == 0) {
            server.set_limit("FUZZ", std::atof(line.c_str() + 6));
            continue;
        }
        session->feed(line);
        io.poll();  // what the handlers posted
    }
    session->close("end of input");
    io.poll();
    return 0;
}
