#include "charger_session.hpp"

#include "drivers/log.hpp"
#include "outbound.hpp"
#include "server.hpp"

namespace fuseguard::ocpp {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;

namespace {
std::chrono::steady_clock::duration seconds(double s) {
    return std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(s));
}
// How long we wait for the answer to one of our CALLs.
constexpr auto kCallTimeout = std::chrono::seconds(30);
// How long a newly connected station has to report its status by itself.
constexpr auto kStatusGrace = std::chrono::seconds(5);
}  // namespace

ChargerSession::ChargerSession(boost::asio::ip::tcp::socket socket, Server& server, std::string id, Version version)
    : ws_(std::move(socket)),
      server_(server),
      id_(std::move(id)),
      version_(version),
      ping_timer_(ws_.get_executor()),
      watch_timer_(ws_.get_executor()),
      call_timer_(ws_.get_executor()),
      status_timer_(ws_.get_executor()) {}

void ChargerSession::run(http::request<http::empty_body> req) {
    // Liveness is ours (ping_interval_s, offline_after_s), not Beast's idle timer.
    auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
    timeouts.idle_timeout = websocket::stream_base::none();
    ws_.set_option(timeouts);
    ws_.read_message_max(kMaxFrameBytes);
    const std::string proto(subprotocol(version_));
    ws_.set_option(websocket::stream_base::decorator([proto](websocket::response_type& res) {
        res.set(http::field::sec_websocket_protocol, proto);
        res.set(http::field::server, "fuseguard");
    }));
    // Any frame counts as a sign of life (OCA white paper), pongs included.
    ws_.control_callback([this](websocket::frame_type, beast::string_view) { last_heard_ = Clock::now(); });
    ws_.async_accept(req, beast::bind_front_handler(&ChargerSession::on_accept, shared_from_this()));
}

void ChargerSession::on_accept(beast::error_code ec) {
    if (ec) {
        log::warning("ocpp: " + id_ + ": websocket handshake failed: " + ec.message());
        return;
    }
    open_ = true;
    last_heard_ = Clock::now();
    server_.attach(shared_from_this());
    log::info("ocpp: " + id_ + " connected (" + std::string(subprotocol(version_)) + ")");
    do_ping();
    do_watch();
    do_read();
    // A station that reconnects without telling us its connectors' status
    // is asked for it, so that no stale status drives the allocation.
    status_timer_.expires_after(kStatusGrace);
    status_timer_.async_wait([self = shared_from_this()](beast::error_code timer_ec) {
        if (timer_ec || self->closed_ || self->status_seen_) return;
        auto req = outbound::trigger_status_request(self->version_);
        self->call(std::move(req.action), std::move(req.payload), nullptr);
    });
}

void ChargerSession::configure() {
    for (auto& req : outbound::configure_request(version_, server_.config())) {
        const std::string what = req.action + " " + req.payload.dump();
        call(std::move(req.action), std::move(req.payload), [id = id_, what](const Answer& a) {
            const auto* r = std::get_if<CallResult>(&a);
            const auto status = r ? outbound::answer_status(r->payload) : std::string("no answer");
            if (status != "Accepted" && status != "RebootRequired")
                log::warning("ocpp: " + id + " did not accept " + what + ": " + status);
        });
    }
}

void ChargerSession::do_read() {
    ws_.async_read(buffer_, beast::bind_front_handler(&ChargerSession::on_read, shared_from_this()));
}

void ChargerSession::on_read(beast::error_code ec, std::size_t) {
    if (ec) {
        if (ec == websocket::error::closed) return close("closed by the station");
        if (ec == websocket::error::message_too_big) return close("sent a frame over 64 KiB");
        if (ec == boost::asio::error::operation_aborted) return;  // we closed it
        return close("connection lost: " + ec.message());
    }
    last_heard_ = Clock::now();
    if (!ws_.got_text()) {
        buffer_.consume(buffer_.size());
        send(serialize(Frame{CallError{"-1", ErrorCode::FormationViolation, "OCPP-J frames are text", {}}}, version_));
        return do_read();
    }
    const std::string text = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    handle(text);
    if (!closed_) do_read();
}

void ChargerSession::handle(const std::string& text) {
    auto parsed = parse_frame(text, version_);
    if (auto* f = std::get_if<FrameFailure>(&parsed)) {
        log::warning("ocpp: " + id_ + ": " + f->description);
        if (f->answer) send(serialize(Frame{CallError{f->id, f->code, f->description, {}}}, version_));
        return;
    }
    auto& frame = std::get<Frame>(parsed);
    if (auto* call = std::get_if<Call>(&frame)) {
        auto result = version_ == Version::V16 ? dispatch_v16(*call) : dispatch_v201(*call);
        const bool accepted = std::holds_alternative<nlohmann::json>(result);
        if (auto* payload = std::get_if<nlohmann::json>(&result))
            send(serialize(Frame{CallResult{call->id, std::move(*payload)}}, version_));
        else
            send(serialize(Frame{std::get<CallError>(result)}, version_));
        if (accepted && call->action == "StatusNotification") status_seen_ = true;
        if (accepted && call->action == "BootNotification") configure();
        return;
    }
    // An answer: only the one to our outstanding CALL is taken.
    const std::string& id = std::holds_alternative<CallResult>(frame) ? std::get<CallResult>(frame).id
                                                                        : std::get<CallError>(frame).id;
    if (!in_flight_ || in_flight_->frame.id != id) {
        log::warning("ocpp: " + id_ + ": answer to unknown message " + id + " ignored");
        return;
    }
    if (auto* r = std::get_if<CallResult>(&frame)) finish_call(*r);
    else finish_call(std::get<CallError>(frame));
}

void ChargerSession::send(std::string text) {
    queue_.push_back(std::move(text));
    if (!writing_) do_write();
}

void ChargerSession::do_write() {
    if (queue_.empty() || closed_) return;
    writing_ = true;
    if (!queue_.front()) {
        ws_.async_ping({}, [self = shared_from_this()](beast::error_code ec) { self->on_write(ec, 0); });
        return;
    }
    ws_.text(true);
    ws_.async_write(boost::asio::buffer(*queue_.front()),
                    beast::bind_front_handler(&ChargerSession::on_write, shared_from_this()));
}

void ChargerSession::on_write(beast::error_code ec, std::size_t) {
    writing_ = false;
    if (ec) return close("write failed: " + ec.message());
    queue_.pop_front();
    do_write();
}

void ChargerSession::do_ping() {
    const auto& cfg = server_.config();
    if (cfg.ping_interval_s <= 0) return;
    ping_timer_.expires_after(seconds(cfg.ping_interval_s));
    ping_timer_.async_wait(beast::bind_front_handler(&ChargerSession::on_ping_timer, shared_from_this()));
}

void ChargerSession::on_ping_timer(beast::error_code ec) {
    if (ec || closed_) return;
    queue_.push_back(std::nullopt);
    if (!writing_) do_write();
    do_ping();
}

void ChargerSession::do_watch() {
    watch_timer_.expires_at(last_heard_ + seconds(server_.config().offline_after_s));
    watch_timer_.async_wait(beast::bind_front_handler(&ChargerSession::on_watch, shared_from_this()));
}

void ChargerSession::on_watch(beast::error_code ec) {
    if (ec || closed_) return;
    if (Clock::now() - last_heard_ >= seconds(server_.config().offline_after_s)) {
        const auto secs = static_cast<int>(server_.config().offline_after_s);
        return close("silent: no frame or pong for " + std::to_string(secs) + " s");
    }
    do_watch();
}

void ChargerSession::call(std::string action, nlohmann::json payload, Done done) {
    calls_.push_back({Call{std::to_string(next_id_++), std::move(action), std::move(payload)}, std::move(done)});
    if (!in_flight_) send_next_call();
}

void ChargerSession::send_next_call() {
    if (in_flight_ || calls_.empty() || closed_) return;
    in_flight_ = std::move(calls_.front());
    calls_.pop_front();
    send(serialize(Frame{in_flight_->frame}, version_));
    call_timer_.expires_after(kCallTimeout);
    call_timer_.async_wait(beast::bind_front_handler(&ChargerSession::on_call_timeout, shared_from_this()));
}

void ChargerSession::on_call_timeout(beast::error_code ec) {
    if (ec || !in_flight_) return;
    log::warning("ocpp: " + id_ + ": no answer to " + in_flight_->frame.action + " within 30 s");
    finish_call(std::monostate{});
}

void ChargerSession::finish_call(const Answer& answer) {
    call_timer_.cancel();
    auto done = std::move(in_flight_->done);
    in_flight_.reset();
    if (done) done(answer);
    send_next_call();
}

void ChargerSession::close(std::string cause) {
    if (closed_) return;
    closed_ = true;
    ping_timer_.cancel();
    watch_timer_.cancel();
    call_timer_.cancel();
    status_timer_.cancel();
    // Whatever we were waiting for will not come.
    if (in_flight_) {
        auto done = std::move(in_flight_->done);
        in_flight_.reset();
        if (done) done(std::monostate{});
    }
    for (auto& c : calls_)
        if (c.done) c.done(std::monostate{});
    calls_.clear();
    if (open_) {
        server_.detach(this);
        log::info("ocpp: " + id_ + " disconnected: " + cause);
        server_.emit(StationDisconnected{id_, cause});
    }
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws_).socket().close(ignored);
}

}  // namespace fuseguard::ocpp
