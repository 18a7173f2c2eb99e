#include "http_session.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "comma_list.hpp"
#include "server.hpp"

namespace fuseguard::ocpp {

namespace http = boost::beast::http;

std::string basic_auth(const std::string& id, const std::string& password) {
    const std::string in = id + ":" + password;
    std::string out(6 + 4 * ((in.size() + 2) / 3) + 1, '\0');  // "Basic ", base64, and OpenSSL's NUL
    out.replace(0, 6, "Basic ");
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data() + 6),
                                  reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
    out.resize(6 + static_cast<std::size_t>(n));
    return out;
}

namespace {

// Compares in a time that does not depend on where the two differ, so that
// a client timing its attempts learns nothing of the password.
bool same_secret(boost::beast::string_view given, const std::string& expected) {
    return given.size() == expected.size() && CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0;
}

}  // namespace

std::optional<std::string> peer_common_name(SSL* ssl) {
    X509* cert = SSL_get1_peer_certificate(ssl);
    if (!cert) return std::nullopt;
    char buf[256] = {};
    const int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof buf);
    X509_free(cert);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<std::size_t>(n));
}

std::variant<Upgrade, Refusal> check_upgrade(const http::request<http::empty_body>& req, const Server& server,
                                             const std::string& peer, const std::optional<std::string>& certificate_cn) {
    const std::string target(req.target());
    if (!boost::beast::websocket::is_upgrade(req))
        return Refusal{http::status::bad_request, "expected a websocket upgrade",
                       "ocpp: " + peer + " " + target + ": not a websocket upgrade"};
    constexpr std::string_view prefix = "/ocpp/";
    if (target.rfind(prefix, 0) != 0 || target.size() == prefix.size() ||
        target.find('/', prefix.size()) != std::string::npos)
        return Refusal{http::status::not_found, "expected /ocpp/<identity>",
                       "ocpp: " + peer + " asked for " + target + ": not /ocpp/<identity>"};
    const std::string id = target.substr(prefix.size());
    const auto* station = server.station(id);
    if (!station)
        return Refusal{http::status::not_found, "unknown charging station",
                       "ocpp: refused unknown station '" + id + "' from " + peer + " (404)"};
    // Security profile 3: the certificate names the station.
    if (server.config().tls && server.config().tls->client_ca && certificate_cn != id)
        return Refusal{http::status::unauthorized, "client certificate does not name this station",
                       "ocpp: refused station " + id + " from " + peer + ": certificate CN '" +
                           certificate_cn.value_or("(none)") + "' (401)"};
    if (station->password && !same_secret(req[http::field::authorization], basic_auth(id, *station->password)))
        return Refusal{http::status::unauthorized, "wrong or missing credentials",
                       "ocpp: refused station " + id + " from " + peer + ": wrong or missing password (401)"};
    // The first subprotocol the station offers that we speak.
    const std::string offered(req[http::field::sec_websocket_protocol]);
    for (const auto p : comma_list(offered)) {
        if (p == "ocpp1.6") return Upgrade{id, Version::V16};
        if (p == "ocpp2.0.1") return Upgrade{id, Version::V201};
    }
    return Refusal{http::status::bad_request, "no supported subprotocol (ocpp1.6, ocpp2.0.1)",
                   "ocpp: refused station " + id + ": offered subprotocols '" + offered + "'"};
}

}  // namespace fuseguard::ocpp
