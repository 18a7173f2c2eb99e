#pragma once
// One client of the HTTP server, Beast-style: do_read/on_read, one write in
// flight. A request is answered and the next one read (keep-alive), until
// GET /events turns the connection into a live stream of the site's state
// (server-sent events): the whole state first, then each change.
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "http_server.hpp"
#include "state_board.hpp"

namespace fuseguard::http {

class Session : public StateBoard::Watcher, public std::enable_shared_from_this<Session> {
public:
    Session(Server& server, boost::asio::ip::tcp::socket socket);
    void run();
    void close();
    bool streaming() const { return streaming_; }

    // StateBoard::Watcher
    void updated(const std::string& topic, const std::string& body) override;
    void reset() override;

private:
    void do_read();
    void on_read(boost::beast::error_code ec, std::size_t);
    void send(Response res);
    void defer(Deferred deferred);
    void on_write(bool keep_alive, boost::beast::error_code ec, std::size_t);
    void open_stream();
    void queue(std::string event);
    void do_write_event();
    void on_write_event(boost::beast::error_code ec, std::size_t n);
    void do_keepalive();

    Server& server_;
    std::weak_ptr<const bool> server_alive_;
    boost::beast::tcp_stream stream_;
    boost::beast::flat_buffer buffer_;
    std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
    std::shared_ptr<Response> response_;
    // The event stream: what waits to be written, the front being written.
    bool streaming_ = false;
    std::deque<std::string> events_;
    std::size_t written_ = 0;  // of the front event
    std::size_t backlog_ = 0;  // bytes of the events not yet begun
    bool writing_ = false;
    boost::asio::steady_timer keepalive_;
};

}  // namespace fuseguard::http
