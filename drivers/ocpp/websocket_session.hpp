#pragma once
// The websocket transport of a ChargerSession, over plain TCP or TLS (after
// Boost.Beast's websocket server examples): do_X/on_X pairs bound to
// shared_from_this, one outbound queue with one write in flight, where
// pings wait their turn with the text frames.
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <list>
#include <optional>
#include <string>

#include "charger_session.hpp"
#include "drivers/log.hpp"

namespace fuseguard::ocpp {

inline constexpr std::size_t kMaxQueuedBytes = 1024 * 1024;

// A message is read in pieces of kReadPiece into a buffer given back after
// each one (read_done), here and on the links to a CSMS. The read pending
// while a peer is idle (nearly all the time) then holds kReadPiece bytes,
// not the 1.5 KB Beast prepares to read a whole message at once: 7 MB at
// 5,000 stations. The bytes are already in Beast's own frame buffer; the
// pieces cost copies, not system calls.
inline constexpr std::size_t kReadPiece = 128;

inline void read_done(boost::beast::flat_buffer& buffer) {
    buffer.consume(buffer.size());
    buffer.shrink_to_fit();
}

template <class Next>
class WebsocketSession final : public ChargerSession, public std::enable_shared_from_this<WebsocketSession<Next>> {
public:
    WebsocketSession(Next&& stream, Server& server, std::string id, Version version)
        : ChargerSession(stream.get_executor(), server, std::move(id), version), ws_(std::move(stream)) {}

    void run(boost::beast::http::request<boost::beast::http::empty_body> req) {
        namespace websocket = boost::beast::websocket;
        namespace http = boost::beast::http;
        // Liveness is ours (ping_interval_s, offline_after_s), not Beast's idle timer.
        auto timeouts = websocket::stream_base::timeout::suggested(boost::beast::role_type::server);
        timeouts.idle_timeout = websocket::stream_base::none();
        ws_.set_option(timeouts);
        ws_.read_message_max(kMaxFrameBytes);
        const std::string proto(subprotocol(version()));
        ws_.set_option(websocket::stream_base::decorator([proto](websocket::response_type& res) {
            res.set(http::field::sec_websocket_protocol, proto);
            res.set(http::field::server, "fuseguard");
        }));
        // Any frame counts as a sign of life (OCA white paper), pongs included.
        ws_.control_callback([this](websocket::frame_type, boost::beast::string_view) { heard(); });
        ws_.async_accept(req, boost::beast::bind_front_handler(&WebsocketSession::on_accept, this->shared_from_this()));
    }

private:
    void on_accept(boost::beast::error_code ec) {
        if (ec) return log::warning("ocpp: " + id() + ": websocket handshake failed: " + ec.message());
        opened();
        do_read();
    }

    void do_read() {
        ws_.async_read_some(buffer_, kReadPiece,
                            boost::beast::bind_front_handler(&WebsocketSession::on_read, this->shared_from_this()));
    }

    void on_read(boost::beast::error_code ec, std::size_t) {
        namespace websocket = boost::beast::websocket;
        if (ec) {
            if (ec == websocket::error::closed) return close("closed by the station");
            if (ec == websocket::error::message_too_big) return close("sent a frame over 64 KiB");
            if (ec == boost::asio::error::operation_aborted || closed()) return;  // we closed it
            return close("connection lost: " + ec.message());
        }
        if (!ws_.is_message_done()) return do_read();
        if (!ws_.got_text()) {
            read_done(buffer_);
            heard();
            send(serialize(Frame{CallError{"-1", ErrorCode::FormationViolation, "OCPP-J frames are text", {}}}, version()));
            return do_read();
        }
        const std::string text = boost::beast::buffers_to_string(buffer_.data());
        read_done(buffer_);
        handle(text);
        if (!closed()) do_read();
    }

    void send(std::string text) override {
        if (closed()) return;
        // A station that keeps calling but never reads its answers would grow
        // this queue without end; past the bound it is cut off, alone.
        queued_bytes_ += text.size();
        if (queued_bytes_ > kMaxQueuedBytes) return close("not reading its answers (over 1 MiB queued)");
        queue_.push_back(std::move(text));
        if (!writing_) do_write();
    }

    void send_ping() override {
        queue_.push_back(std::nullopt);
        if (!writing_) do_write();
    }

    void do_write() {
        if (queue_.empty() || closed()) return;
        writing_ = true;
        if (!queue_.front()) {
            ws_.async_ping({}, [self = this->shared_from_this()](boost::beast::error_code ec) { self->on_write(ec, 0); });
            return;
        }
        ws_.text(true);
        ws_.async_write(boost::asio::buffer(*queue_.front()),
                        boost::beast::bind_front_handler(&WebsocketSession::on_write, this->shared_from_this()));
    }

    void on_write(boost::beast::error_code ec, std::size_t) {
        writing_ = false;
        if (ec) return close("write failed: " + ec.message());
        if (queue_.front()) queued_bytes_ -= queue_.front()->size();
        queue_.pop_front();
        do_write();
    }

    void shutdown() override {
        boost::beast::error_code ignored;
        auto& socket = boost::beast::get_lowest_layer(ws_).socket();
        socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
        socket.close(ignored);
    }

    std::shared_ptr<ChargerSession> self() override { return this->shared_from_this(); }

    boost::beast::websocket::stream<Next> ws_;
    boost::beast::flat_buffer buffer_;
    std::list<std::optional<std::string>> queue_;  // text frames; nullopt is a ping (a list: see calls_)
    std::size_t queued_bytes_ = 0;
    bool writing_ = false;
};

}  // namespace fuseguard::ocpp
