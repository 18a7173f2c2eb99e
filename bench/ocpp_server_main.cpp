// The server under test for bench_ocpp: fuseguard's OCPP endpoint alone, for
// stations CP0..CP<N-1> on 127.0.0.1, printing its port; runs until killed.
// With a second argument, a CSMS's port: fuseguard as local controller,
// relaying every station to ws://127.0.0.1:PORT/ocpp/<id>.
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <iostream>

#include "drivers/ocpp/server.hpp"

int main(int argc, char** argv) {
    // A log line per connection is part of the product, not of this load:
    // send it nowhere rather than into a pipe nobody reads.
    const int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, STDERR_FILENO);
    const int n = argc > 1 ? std::atoi(argv[1]) : 100;
    boost::asio::io_context io;
    fuseguard::config::OcppConfig cfg;
    cfg.listen_host = "127.0.0.1";
    cfg.listen_port = 0;
    std::vector<fuseguard::ocpp::Server::Station> stations;
    for (int i = 0; i < n; ++i) stations.push_back({"CP" + std::to_string(i), std::nullopt});
    std::optional<fuseguard::config::BackendConfig> backend;
    if (argc > 2) {
        backend.emplace();
        backend->host = "127.0.0.1";
        backend->port = static_cast<std::uint16_t>(std::atoi(argv[2]));
        backend->path = "/ocpp/";
        backend->url = "ws://127.0.0.1:" + std::string(argv[2]) + "/ocpp";
    }
    std::uint64_t draws = 0;
    fuseguard::ocpp::Server server(
        io, cfg, std::move(stations),
        [&](fuseguard::ocpp::StationEvent e) { draws += std::holds_alternative<fuseguard::ocpp::DrawMeasured>(e); },
        backend);
    std::cout << server.start() << std::endl;
    boost::asio::signal_set stop(io, SIGTERM, SIGINT);
    stop.async_wait([&](auto, int) {
        server.stop();
        io.stop();
    });
    io.run();
    return draws == 0 ? 1 : 0;
}
