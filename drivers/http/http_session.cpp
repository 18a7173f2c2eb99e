#include "http_session.hpp"

#include <boost/asio/write.hpp>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace fuseguard::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace beast_http = boost::beast::http;

namespace {
// A comment line on a quiet event stream, so that a page (or a proxy) that
// went away is noticed, and an idle proxy does not cut a live page.
constexpr auto kKeepalive = std::chrono::seconds(15);
constexpr std::size_t kHeaderLimit = 8 * 1024;
// How much of an event stream is written at once (see do_write_event).
constexpr std::size_t kPiece = 64 * 1024;

bool is_parse_error(const beast::error_code& ec) {
    return ec.category() == beast_http::make_error_code(beast_http::error::bad_target).category() &&
           ec != beast_http::error::end_of_stream && ec != beast_http::error::partial_message;
}
}  // namespace

Session::Session(Server& server, net::ip::tcp::socket socket)
    : server_(server), server_alive_(server.alive_), stream_(std::move(socket)), keepalive_(stream_.get_executor()) {}

void Session::run() { do_read(); }

void Session::close() {
    streaming_ = false;  // told nothing more by the board
    keepalive_.cancel();
    beast::error_code ignored;
    stream_.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
    stream_.close();
}

void Session::do_read() {
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(kBodyLimit);
    stream_.expires_after(server_.limits().io_time);
    beast_http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_read, shared_from_this()));
}

void Session::on_read(beast::error_code ec, std::size_t) {
    if (server_alive_.expired()) return close();
    if (ec == beast_http::error::header_limit)
        return send(refusal(beast_http::status::request_header_fields_too_large, "the request header is over 8 KB"));
    if (ec == beast_http::error::body_limit || ec == beast_http::error::unexpected_body)
        return send(refusal(beast_http::status::payload_too_large, "a request body here is at most 4 KB"));
    if (is_parse_error(ec)) return send(refusal(beast_http::status::bad_request, "not an HTTP/1.1 request: " + ec.message()));
    if (ec) return close();  // closed, reset or timed out before a whole request
    auto req = parser_->release();
    auto a = answer(req, server_.routes());
    if (std::holds_alternative<OpenEventStream>(a)) return open_stream();
    if (auto* d = std::get_if<Deferred>(&a)) return defer(std::move(*d));
    send(std::move(std::get<Response>(a)));
}

void Session::defer(Deferred deferred) {
    // A command waits for the station's answer, which may take longer than
    // io_time; its own timeout bounds the wait. Nothing is read meanwhile.
    // Beast's deadline only fires on an operation in flight, and none is
    // while we wait (the test passes without this line); cleared anyway so
    // that the read's deadline is not what the reader of this code sees.
    stream_.expires_never();
    deferred.start([self = shared_from_this()](Response res) {
        if (self->server_alive_.expired()) return self->close();
        self->send(std::move(res));
    });
}

void Session::send(Response res) {
    const bool keep_alive = res.keep_alive();
    response_ = std::make_shared<Response>(std::move(res));
    stream_.expires_after(server_.limits().io_time);
    beast_http::async_write(stream_, *response_,
                            beast::bind_front_handler(&Session::on_write, shared_from_this(), keep_alive));
}

void Session::on_write(bool keep_alive, beast::error_code ec, std::size_t) {
    response_.reset();
    if (ec || !keep_alive) return close();
    do_read();
}

void Session::open_stream() {
    if (server_.event_streams() >= server_.limits().event_streams) {
        auto res = refusal(beast_http::status::service_unavailable, "too many live pages open; try again later");
        res.set(beast_http::field::retry_after, "10");
        return send(std::move(res));
    }
    streaming_ = true;
    stream_.expires_never();
    auto* board = server_.routes().board;
    board->watch(weak_from_this());
    // The header by hand: the stream has no length and ends with the
    // connection. `retry`: how soon a page's EventSource comes back.
    queue("HTTP/1.1 200 OK\r\nServer: fuseguard\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
          "X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\nretry: 2000\n\n"
          "event: snapshot\ndata: " +
          board->snapshot() + "\n\n");
    do_keepalive();
}

void Session::updated(const std::string& topic, const std::string& body) {
    if (!streaming_) return;
    // A payload is compact JSON: it holds no newline to end the data line early.
    queue("event: update\ndata: {\"topic\":" + nlohmann::json(topic).dump() + ",\"body\":" + body + "}\n\n");
}

void Session::reset() {
    if (streaming_) queue("event: reset\ndata: {}\n\n");
}

void Session::queue(std::string event) {
    // What waits behind the write in flight: a page that stops reading is
    // dropped (its EventSource reconnects and starts from a fresh snapshot)
    // rather than held in memory without end.
    if (backlog_ + event.size() > server_.limits().stream_backlog && !events_.empty()) return close();
    backlog_ += event.size();
    events_.push_back(std::move(event));
    do_write_event();
}

void Session::do_write_event() {
    if (writing_ || events_.empty()) return;
    writing_ = true;
    if (written_ == 0) backlog_ -= events_.front().size();
    // A piece at a time, each with its own deadline: a page on a slow link
    // takes a large snapshot in as long as it needs while it keeps reading,
    // and one that stops reading is dropped io_time after it stopped.
    const auto& front = events_.front();
    const auto piece = std::min(kPiece, front.size() - written_);
    stream_.expires_after(server_.limits().io_time);
    net::async_write(stream_, net::buffer(front.data() + written_, piece),
                     beast::bind_front_handler(&Session::on_write_event, shared_from_this()));
}

void Session::on_write_event(beast::error_code ec, std::size_t n) {
    writing_ = false;
    // A write that completed before the server went (a reload of http:)
    // still calls back, without an error: the server's limits are gone.
    if (ec || server_alive_.expired()) return close();
    written_ += n;
    if (written_ == events_.front().size()) {
        events_.pop_front();
        written_ = 0;
    }
    stream_.expires_never();
    do_write_event();
}

void Session::do_keepalive() {
    keepalive_.expires_after(kKeepalive);
    keepalive_.async_wait([self = shared_from_this()](const beast::error_code& ec) {
        if (ec || self->server_alive_.expired()) return;  // as in on_write_event
        if (self->events_.empty()) self->queue(": keepalive\n\n");
        self->do_keepalive();
    });
}

}  // namespace fuseguard::http
