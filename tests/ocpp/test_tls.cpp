// OCPP security profiles 2 (TLS + basic auth) and 3 (TLS + client
// certificates), with certificates made by openssl for each run.
#include <doctest/doctest.h>

#include <boost/beast/ssl.hpp>

#include <filesystem>

#include "common/child_process.hpp"
#include "drivers/ocpp/http_session.hpp"
#include "ocpp_fixture.hpp"
#include "common/certificates.hpp"

using namespace fuseguard;
using namespace fuseguard::test;
namespace ssl = boost::asio::ssl;

namespace {

config::OcppConfig tls_config(const Certificates& c, bool client_certificates) {
    auto cfg = OcppFixture::defaults();
    cfg.tls = config::TlsConfig{c.path("server.pem"), c.path("server.key"), std::nullopt};
    if (client_certificates) cfg.tls->client_ca = c.path("ca.pem");
    return cfg;
}

// The HTTP status of a websocket upgrade over TLS (101 on success), or -1
// if the TLS handshake itself failed.
int tls_upgrade(std::uint16_t port, const Certificates& c, const std::string& target,
                std::optional<std::string> client, std::optional<std::string> authorization = std::nullopt) {
    net::io_context ioc;
    ssl::context ctx(ssl::context::tls_client);
    ctx.load_verify_file(c.path("ca.pem"));
    ctx.set_verify_mode(ssl::verify_peer);
    if (client) {
        ctx.use_certificate_chain_file(c.path(*client + ".pem"));
        ctx.use_private_key_file(c.path(*client + ".key"), ssl::context::pem);
    }
    beast::ssl_stream<net::ip::tcp::socket> stream(ioc, ctx);
    stream.next_layer().connect({net::ip::make_address("127.0.0.1"), port});
    timeval tv{5, 0};
    ::setsockopt(stream.next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    beast::error_code ec;
    stream.handshake(ssl::stream_base::client, ec);
    if (ec) return -1;
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::upgrade, "websocket");
    req.set(http::field::connection, "upgrade");
    req.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
    req.set(http::field::sec_websocket_version, "13");
    req.set(http::field::sec_websocket_protocol, "ocpp1.6");
    if (authorization) req.set(http::field::authorization, *authorization);
    http::write(stream, req, ec);
    if (ec) return -1;
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(stream, buf, res, ec);
    // With TLS 1.3 a refused client certificate shows only on the first read.
    return ec ? -1 : static_cast<int>(res.result_int());
}

}  // namespace

TEST_SUITE("OcppTls") {
    TEST_CASE("security profile 2: TLS with basic auth") {
        Certificates certs;
        OcppFixture fx({{"CP1", std::string("s3cret")}}, tls_config(certs, false));
        CHECK(tls_upgrade(fx.port, certs, "/ocpp/CP1", std::nullopt, ocpp::basic_auth("CP1", "s3cret")) == 101);
        CHECK(tls_upgrade(fx.port, certs, "/ocpp/CP1", std::nullopt, ocpp::basic_auth("CP1", "nope")) == 401);
        CHECK(tls_upgrade(fx.port, certs, "/ocpp/CP7", std::nullopt) == 404);
        CHECK(fx.next<ocpp::StationConnected>());
        // Plain websocket on a TLS port does not get through.
        CHECK(upgrade_status(fx.port, "/ocpp/CP1") == -1);
    }

    TEST_CASE("security profile 3: the client certificate must name the station") {
        Certificates certs;
        OcppFixture fx({{"CP1", std::nullopt}, {"CP2", std::nullopt}}, tls_config(certs, true));
        CHECK(tls_upgrade(fx.port, certs, "/ocpp/CP1", std::string("CP1")) == 101);
        CHECK(tls_upgrade(fx.port, certs, "/ocpp/CP1", std::string("CP2")) == 401);
        CHECK(tls_upgrade(fx.port, certs, "/ocpp/CP1", std::nullopt) == -1);  // no certificate: no TLS session
        auto connected = fx.next<ocpp::StationConnected>();
        REQUIRE(connected);
        CHECK(connected->id == "CP1");
    }
}
