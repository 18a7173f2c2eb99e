#include "http_session.hpp"

#include <boost/beast/websocket/rfc6455.hpp>

#include "charger_session.hpp"
#include "drivers/log.hpp"
#include "server.hpp"

namespace fuseguard::ocpp {

namespace beast = boost::beast;
namespace http = beast::http;

std::string basic_auth(const std::string& id, const std::string& password) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const std::string in = id + ":" + password;
    std::string out = "Basic ";
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                           static_cast<unsigned char>(in[i + 2]);
        for (int k = 18; k >= 0; k -= 6) out += kAlphabet[(v >> k) & 63];
    }
    if (i < in.size()) {
        unsigned v = static_cast<unsigned char>(in[i]) << 16;
        if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

HttpSession::HttpSession(boost::asio::ip::tcp::socket socket, Server& server)
    : stream_(std::move(socket)), server_(server) {}

void HttpSession::run() { do_read(); }

void HttpSession::do_read() {
    parser_.emplace();
    parser_->header_limit(8 * 1024);
    // A client that opens the connection and never finishes the upgrade
    // costs a socket for ten seconds, nothing more.
    stream_.expires_after(std::chrono::seconds(10));
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&HttpSession::on_read, shared_from_this()));
}

void HttpSession::on_read(beast::error_code ec, std::size_t) {
    if (ec) return;  // timed out or closed before a request: nothing to answer
    auto req = parser_->release();
    const std::string target(req.target());
    const std::string peer = [&] {
        beast::error_code e;
        auto ep = stream_.socket().remote_endpoint(e);
        return e ? std::string("?") : ep.address().to_string();
    }();
    if (!beast::websocket::is_upgrade(req))
        return refuse(http::status::bad_request, "expected a websocket upgrade",
                      "ocpp: " + peer + " " + target + ": not a websocket upgrade");
    constexpr std::string_view prefix = "/ocpp/";
    if (target.rfind(prefix, 0) != 0 || target.size() == prefix.size() ||
        target.find('/', prefix.size()) != std::string::npos)
        return refuse(http::status::not_found, "expected /ocpp/<identity>",
                      "ocpp: " + peer + " asked for " + target + ": not /ocpp/<identity>");
    const std::string id = target.substr(prefix.size());
    const auto* station = server_.station(id);
    if (!station)
        return refuse(http::status::not_found, "unknown charging station",
                      "ocpp: refused unknown station '" + id + "' from " + peer + " (404)");
    if (station->password && req[http::field::authorization] != basic_auth(id, *station->password))
        return refuse(http::status::unauthorized, "wrong or missing credentials",
                      "ocpp: refused station " + id + " from " + peer + ": wrong or missing password (401)");
    // The first subprotocol the station offers that we speak.
    std::optional<Version> version;
    const std::string offered(req[http::field::sec_websocket_protocol]);
    std::size_t pos = 0;
    while (!version && pos <= offered.size()) {
        std::size_t end = offered.find(',', pos);
        if (end == std::string::npos) end = offered.size();
        std::string p = offered.substr(pos, end - pos);
        p.erase(0, p.find_first_not_of(' '));
        p.erase(p.find_last_not_of(' ') + 1);
        if (p == "ocpp1.6") version = Version::V16;
        if (p == "ocpp2.0.1") version = Version::V201;
        pos = end + 1;
    }
    if (!version)
        return refuse(http::status::bad_request, "no supported subprotocol (ocpp1.6, ocpp2.0.1)",
                      "ocpp: refused station " + id + ": offered subprotocols '" + offered + "'");
    stream_.expires_never();
    std::make_shared<ChargerSession>(stream_.release_socket(), server_, id, *version)->run(std::move(req));
}

void HttpSession::refuse(http::status status, std::string why, std::string log_line) {
    log::warning(log_line);
    response_ = std::make_shared<http::response<http::string_body>>(status, 11);
    response_->set(http::field::server, "fuseguard");
    response_->set(http::field::content_type, "text/plain");
    if (status == http::status::unauthorized) response_->set(http::field::www_authenticate, "Basic realm=\"fuseguard\"");
    response_->body() = why + "\n";
    response_->keep_alive(false);
    response_->prepare_payload();
    http::async_write(stream_, *response_, beast::bind_front_handler(&HttpSession::on_write, shared_from_this()));
}

void HttpSession::on_write(beast::error_code ec, std::size_t) {
    if (ec) return;
    beast::error_code ignored;
    stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
    // Read until the client closes too: closing with its bytes unread would
    // reset the connection and it might never see our answer.
    stream_.expires_after(std::chrono::seconds(2));
    do_drain();
}

void HttpSession::do_drain() {
    stream_.async_read_some(buffer_.prepare(1024), [self = shared_from_this()](beast::error_code ec, std::size_t) {
        if (!ec) self->do_drain();
    });
}

}  // namespace fuseguard::ocpp
