#include "charger_session.hpp"

#include "drivers/log.hpp"
#include "outbound.hpp"
#include "server.hpp"

namespace fuseguard::ocpp {

using config::seconds;

namespace {
// Before a silent station is declared offline: one more ping, and this long
// for any frame. A fuseguard that was not running (SIGSTOP, a paused VM, a
// loaded machine) reads what arrived meanwhile first; its timers can fire
// before its sockets are read, and little later than due.
constexpr auto kLastProbe = std::chrono::seconds(1);
// How long a newly connected station has to report its status by itself.
constexpr auto kStatusGrace = std::chrono::seconds(5);
}  // namespace

ChargerSession::ChargerSession(boost::asio::any_io_executor ex, Server& server, std::string id, Version version)
    : server_(server),
      server_alive_(server.lifetime()),
      id_(std::move(id)),
      version_(version),
      ping_timer_(ex),
      watch_timer_(ex),
      call_timer_(ex),
      status_timer_(ex),
      renew_timer_(ex),
      verify_timer_(ex) {}

void ChargerSession::opened() {
    if (server_alive_.expired()) return shutdown();  // accepted just as the server went away
    open_ = true;
    last_heard_ = Clock::now();
    server_.attach(self());
    log::info("ocpp: " + id_ + " connected (" + std::string(subprotocol(version_)) + ")");
    do_ping();
    do_watch();
    do_renew();
    open_backend();
    // A station that reconnects without telling us its connectors' status
    // is asked for it, so that no stale status drives the allocation.
    status_timer_.expires_after(kStatusGrace);
    status_timer_.async_wait([s = self()](boost::system::error_code ec) {
        if (ec || s->closed_ || s->status_seen_) return;
        auto req = outbound::trigger_status_request(s->version_);
        s->call(std::move(req.action), std::move(req.payload), nullptr);
    });
}

void ChargerSession::handle(const std::string& text) {
    heard();
    auto parsed = parse_frame(text, version_);
    if (auto* f = std::get_if<FrameFailure>(&parsed)) {
        log::warning("ocpp: " + id_ + ": " + f->description);
        count_error("bad_frame");
        if (f->answer) send(serialize(Frame{CallError{f->id, f->code, f->description, {}}}, version_));
        return;
    }
    auto& frame = std::get<Frame>(parsed);
    if (auto* c = std::get_if<Call>(&frame)) {
        auto result = version_ == Version::V16 ? dispatch_v16(*c) : dispatch_v201(*c);
        Frame answer = std::holds_alternative<nlohmann::json>(result)
                           ? Frame{CallResult{c->id, std::move(std::get<nlohmann::json>(result))}}
                           : Frame{std::get<CallError>(result)};
        if (backend_state_ != BackendState::None) return relay_station_call(std::move(*c), text, std::move(answer));
        std::string wire = serialize(answer, version_);
        answer_station(*c, answer, std::move(wire));
        return;
    }
    // An answer: to the CSMS's CALL it is relaying, or to our outstanding one.
    const std::string& id = std::holds_alternative<CallResult>(frame) ? std::get<CallResult>(frame).id
                                                                        : std::get<CallError>(frame).id;
    if (relay_ && relay_->backend_in_flight && relay_->backend_in_flight->id == id) {
        send_to_backend(text);
        return finish_backend_call();
    }
    if (!in_flight_ || in_flight_->frame.id != id) {
        log::warning("ocpp: " + id_ + ": answer to unknown message " + id + " ignored");
        count_error("unknown_answer");
        return;
    }
    if (auto* r = std::get_if<CallResult>(&frame)) return finish_call(*r);
    count_error("call_error");
    finish_call(std::get<CallError>(frame));
}

void ChargerSession::count_error(const char* kind) {
    if (!server_alive_.expired()) server_.count_error(id_, kind);
}

void ChargerSession::answer_station(const Call& call, const Frame& answer, std::string text) {
    send(std::move(text));
    const auto* r = std::get_if<CallResult>(&answer);
    if (!r) return count_error("call_refused");
    if (call.action == "StatusNotification") status_seen_ = true;
    else if (call.action == "BootNotification" && outbound::answer_status(r->payload) == "Accepted") configure();
    else if (call.action == "StartTransaction" && version_ == Version::V16) start_transaction_answered(call, r->payload);
}

void ChargerSession::configure() {
    // What it samples and what its smart charging allows first: measurands
    // are added to what it samples, never put in their place.
    auto read = read_configuration_request(version_);
    call(std::move(read.action), std::move(read.payload), [s = self()](const Answer& a) {
        const auto* r = std::get_if<CallResult>(&a);
        s->station_config_ = r ? read_configuration_answer(s->version_, r->payload) : StationConfiguration{};
        if (!s->station_config_.sampled_measurands)
            log::info("ocpp: " + s->id_ + " did not say what it samples; keeping " + std::string(kBillingMeasurand));
        s->send_configuration();
        s->send_fallback_layer();
        s->layers_sent_ = true;
        s->verify_failsafe();
    });
}

void ChargerSession::send_configuration() {
    const std::string measurands =
        add_measurand(station_config_.sampled_measurands.value_or(std::string(kBillingMeasurand)), kNeededMeasurand);
    for (auto& req : outbound::configure_request(version_, server_.config(), measurands)) {
        const std::string what = req.action + " " + req.payload.dump();
        call(std::move(req.action), std::move(req.payload), [id = id_, what](const Answer& a) {
            const auto* r = std::get_if<CallResult>(&a);
            const auto status = r ? outbound::answer_status(r->payload) : std::string("no answer");
            if (status != "Accepted" && status != "RebootRequired")
                log::warning("ocpp: " + id + " did not accept " + what + ": " + status);
        });
    }
}

void ChargerSession::do_ping() {
    const auto& cfg = server_.config();
    if (cfg.ping_interval_s <= 0) return;
    // A station heard from within the last interval is alive and is not
    // pinged: at a thousand stations the pings would be as many frames as
    // their meter values. The ticks keep their own phase rather than
    // following the station's frames, so that a ping does not meet the
    // station's next frame on the wire (a station without TCP_NODELAY then
    // holds that frame until the pong is acknowledged, 40 ms).
    const auto interval = seconds(cfg.ping_interval_s);
    ping_timer_.expires_after(interval);
    ping_timer_.async_wait([s = self(), interval](boost::system::error_code ec) {
        if (ec || s->closed_) return;
        if (Clock::now() - s->last_heard_ >= interval) s->send_ping();
        s->do_ping();
    });
}

void ChargerSession::do_watch() {
    watch_timer_.expires_at(last_heard_ + seconds(server_.config().offline_after_s));
    watch_timer_.async_wait([s = self()](boost::system::error_code ec) {
        if (ec || s->closed_) return;
        if (Clock::now() - s->last_heard_ < seconds(s->server_.config().offline_after_s)) return s->do_watch();
        s->probe_silence();
    });
}

void ChargerSession::probe_silence() {
    const auto probed = Clock::now();
    send_ping();
    watch_timer_.expires_after(kLastProbe);
    watch_timer_.async_wait([s = self(), probed](boost::system::error_code ec) {
        if (ec || s->closed_) return;
        if (s->last_heard_ >= probed) return s->do_watch();
        const double limit = s->server_.config().offline_after_s;
        s->close("silent: no frame or pong for " + std::to_string(static_cast<int>(limit)) + " s");
    });
}

void ChargerSession::call(std::string action, nlohmann::json payload, Done done) {
    // A call made once closed (from the callback of one that the closing
    // ended) is not answered either.
    if (closed_) {
        if (done) done(std::monostate{});
        return;
    }
    // Our own id space: a CSMS relayed to this station never uses "fg-" ids
    // at the same time (one CALL at a time), and a late answer to one of
    // ours is never taken for one of its.
    calls_.push_back({Call{"fg-" + std::to_string(next_id_++), std::move(action), std::move(payload)}, std::move(done)});
    if (!in_flight_) send_next_call();
}

void ChargerSession::send_next_call() {
    // One CALL at a time at the station, ours or the CSMS's.
    if (in_flight_ || (relay_ && relay_->backend_in_flight) || calls_.empty() || closed_) return;
    in_flight_ = std::move(calls_.front());
    calls_.pop_front();
    send(serialize(Frame{in_flight_->frame}, version_));
    call_timer_.expires_after(kCallTimeout);
    call_timer_.async_wait([s = self()](boost::system::error_code ec) {
        if (ec || !s->in_flight_) return;
        log::warning("ocpp: " + s->id_ + ": no answer to " + s->in_flight_->frame.action + " within 30 s");
        s->count_error("call_timeout");
        s->finish_call(std::monostate{});
    });
}

void ChargerSession::finish_call(const Answer& answer) {
    call_timer_.cancel();
    auto done = std::move(in_flight_->done);
    in_flight_.reset();
    if (done) done(answer);
    // A CSMS call that waited for this one goes before our next: neither
    // side waits longer than one CALL of the other.
    if (relay_ && !relay_->backend_calls.empty()) send_next_backend_call();
    send_next_call();
}

void ChargerSession::close(std::string cause) {
    if (closed_) return;
    closed_ = true;
    ping_timer_.cancel();
    watch_timer_.cancel();
    call_timer_.cancel();
    status_timer_.cancel();
    renew_timer_.cancel();
    verify_timer_.cancel();
    if (relay_) {
        relay_->answer_timer.cancel();
        relay_->backend_call_timer.cancel();
        relay_->backend_limit_timer.cancel();
        relay_->upstream_timer.cancel();
    }
    // The CSMS sees the station go, as it would without us in between.
    if (backend_) backend_->stop();
    // A replayed message's callback holds the session: dropped, or the
    // session would outlive its station (what is left stays queued).
    stop_replay();
    // Whatever we were waiting for will not come.
    if (in_flight_) {
        auto done = std::move(in_flight_->done);
        in_flight_.reset();
        if (done) done(std::monostate{});
    }
    // Taken out first: a callback may queue another call (a GetConfiguration
    // answered "not at all" moves on to its ChangeConfiguration).
    auto queued = std::move(calls_);
    calls_.clear();
    for (auto& c : queued)
        if (c.done) c.done(std::monostate{});
    if (open_ && !server_alive_.expired()) {
        server_.detach(this);
        log::info("ocpp: " + id_ + " disconnected: " + cause);
        server_.emit(StationDisconnected{id_, cause});
    }
    shutdown();
}

}  // namespace fuseguard::ocpp
