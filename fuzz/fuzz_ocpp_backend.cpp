// libFuzzer: what a CSMS may send when fuseguard is a local controller, as
// one station's session takes it (charger_relay.cpp, charger_backend_limit.cpp).
// The input is a conversation: its first byte picks 1.6 or 2.0.1, then one
// line per event, in order:
//   S <frame>   the station sends a frame (a boot, a transaction, answers)
//   C <frame>   the CSMS sends a frame (calls for the station, answers to
//               the station's calls, profiles, garbage)
//   DOWN / UP   the link to the CSMS is lost / comes back (the replay runs)
//   LIMIT <a>   fuseguard sends the station a limit
// The link to the CSMS is the only stand-in: it hands frames over instead of
// a socket. Everything fuseguard does with them runs as in the service.
#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "drivers/ocpp/charger_session.hpp"
#include "drivers/ocpp/server.hpp"

namespace {

using namespace fuseguard;

class FuzzLink final : public ocpp::BackendLink {
public:
    explicit FuzzLink(Handlers handlers) : handlers_(std::move(handlers)) {}
    void start() override { up(); }
    void stop() override { stopped_ = true; }
    bool send(std::string text) override {
        if (!open_ || stopped_) return false;
        sent += text.size();
        return true;
    }
    void up() {
        if (open_ || stopped_) return;
        open_ = true;
        handlers_.opened();
    }
    void down() {
        if (!open_ || stopped_) return;
        open_ = false;
        handlers_.lost("fuzz: link dropped");
    }
    void receive(std::string text) {
        if (open_ && !stopped_) handlers_.received(std::move(text));
    }
    std::size_t sent = 0;

private:
    Handlers handlers_;
    bool stopped_ = false;
};

class FuzzSession final : public ocpp::ChargerSession, public std::enable_shared_from_this<FuzzSession> {
public:
    FuzzSession(boost::asio::io_context& io, ocpp::Server& server, ocpp::Version v)
        : ChargerSession(io.get_executor(), server, "FUZZ", v) {}
    void open() { opened(); }
    void feed(const std::string& frame) { handle(frame); }
    std::shared_ptr<FuzzLink> link;

private:
    void send(std::string) override {}
    void send_ping() override {}
    void shutdown() override {}
    std::shared_ptr<ChargerSession> self() override { return shared_from_this(); }
    std::shared_ptr<ocpp::BackendLink> make_backend_link(ocpp::BackendLink::Target,
                                                         ocpp::BackendLink::Handlers handlers) override {
        link = std::make_shared<FuzzLink>(std::move(handlers));
        return link;
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const auto version = (data[0] & 1) ? ocpp::Version::V201 : ocpp::Version::V16;
    std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);

    boost::asio::io_context io;
    config::BackendConfig backend;
    backend.url = "ws://127.0.0.1:9/ocpp/";
    backend.host = "127.0.0.1";
    backend.port = 9;
    backend.path = "/ocpp/";
    backend.queue_limit = 20;  // small enough for the fuzzer to reach the drops
    config::AuthorizationConfig authorization;
    authorization.tags.push_back({"TAG1", 0, {}});
    ocpp::Server server(io, config::OcppConfig{}, {{"FUZZ", std::nullopt, 6.0, 32.0}}, [](ocpp::StationEvent) {},
                        backend, authorization);  // no state_dir: the queue lives in memory
    auto session = std::make_shared<FuzzSession>(io, server, version);
    session->open();
    io.poll();
    while (!rest.empty()) {
        const auto end = rest.find('\n');
        const std::string line(rest.substr(0, end));
        rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
        if (line.rfind("S ", 0) == 0) session->feed(line.substr(2));
        else if (line.rfind("C ", 0) == 0 && session->link) session->link->receive(line.substr(2));
        else if (line == "DOWN" && session->link) session->link->down();
        else if (line == "UP" && session->link) session->link->up();
        else if (line.rfind("LIMIT ", 0) == 0) server.set_limit("FUZZ", std::atof(line.c_str() + 6));
        io.poll();  // what the handlers posted
    }
    session->close("end of input");
    io.poll();
    return 0;
}
