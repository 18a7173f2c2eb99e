#pragma once
// The HTTP part of a station's connection: checks the path, the identity,
// the password and the subprotocol, and answers 404/401/400 or hands the
// socket to a ChargerSession (SPEC 5).
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <memory>
#include <optional>

namespace fuseguard::ocpp {

class Server;

class HttpSession : public std::enable_shared_from_this<HttpSession> {
public:
    HttpSession(boost::asio::ip::tcp::socket socket, Server& server);
    void run();

private:
    void do_read();
    void on_read(boost::beast::error_code ec, std::size_t);
    void refuse(boost::beast::http::status status, std::string why, std::string log_line);
    void on_write(boost::beast::error_code ec, std::size_t);
    void do_drain();

    boost::beast::tcp_stream stream_;
    boost::beast::flat_buffer buffer_;
    std::optional<boost::beast::http::request_parser<boost::beast::http::empty_body>> parser_;
    std::shared_ptr<boost::beast::http::response<boost::beast::http::string_body>> response_;
    Server& server_;
};

// "Basic " + base64("id:password"), as a station sends it.
std::string basic_auth(const std::string& id, const std::string& password);

}  // namespace fuseguard::ocpp
