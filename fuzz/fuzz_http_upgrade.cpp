// libFuzzer: the HTTP upgrade request a station (or anyone who can reach the
// port) opens its connection with, parsed as HttpSession parses it (Beast's
// parser, the same 8 KiB header limit) and checked as it checks it: the
// path and identity, basic auth, the client certificate's name, the
// subprotocols. The first byte picks which certificate name, if any, TLS
// would have reported. Beyond "no crash", it checks the rule itself: an
// accepted upgrade names a configured station and carries its password.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "drivers/ocpp/http_session.hpp"
#include "drivers/ocpp/server.hpp"

namespace {

using namespace fuseguard;
namespace http = boost::beast::http;

struct Site {
    boost::asio::io_context io;
    ocpp::Server plain{io, config::OcppConfig{}, stations(), [](ocpp::StationEvent) {}};
    ocpp::Server with_client_ca{io, client_ca(), stations(), [](ocpp::StationEvent) {}};

    static std::vector<ocpp::Server::Station> stations() {
        ocpp::Server::Station locked{"CP1", std::string("s3cret:pass"), 6.0, 32.0};
        ocpp::Server::Station open{"CP2", std::nullopt, 6.0, 32.0};
        return {locked, open};
    }
    static config::OcppConfig client_ca() {
        config::OcppConfig cfg;
        cfg.tls.emplace();
        cfg.tls->client_ca = "/nonexistent/ca.pem";  // only its presence matters to the check
        return cfg;
    }
};

void check(const http::request<http::empty_body>& req, const ocpp::Server& server,
           const std::optional<std::string>& cn) {
    const auto checked = ocpp::check_upgrade(req, server, "127.0.0.1", cn);
    const auto* up = std::get_if<ocpp::Upgrade>(&checked);
    if (!up) return;
    const auto* station = server.station(up->id);
    if (!station) __builtin_trap();  // an identity nobody configured got in
    if (station->password && req[http::field::authorization] != ocpp::basic_auth(up->id, *station->password))
        __builtin_trap();  // in without the password
    if (server.config().tls && server.config().tls->client_ca && cn != up->id) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static Site site;
    if (size == 0) return 0;
    std::optional<std::string> cn;
    if (data[0] & 1) cn = (data[0] & 2) ? "CP1" : "CP2";
    const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);

    http::request_parser<http::empty_body> parser;
    parser.header_limit(8 * 1024);
    parser.eager(true);
    boost::beast::error_code ec;
    parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
    if (ec || !parser.is_header_done()) return 0;
    const auto req = parser.release();
    check(req, site.plain, cn);
    check(req, site.with_client_ca, cn);
    return 0;
}
