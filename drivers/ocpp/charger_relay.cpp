// fuseguard as OCPP local controller (docs/ocpp.md "Local controller"): the
// station's frames go to the CSMS over a link of its own and the CSMS's
// answers come back unchanged; fuseguard reads everything on the way and
// answers itself when the CSMS cannot. One CALL at a time at the station,
// ours or the CSMS's.
#include "charger_session.hpp"
#include "drivers/log.hpp"
#include "http_session.hpp"
#include "server.hpp"

namespace fuseguard::ocpp {

namespace {
// CSMS calls waiting for the station beyond this are refused: a CSMS that
// floods a station is not allowed to hold back its limits.
constexpr std::size_t kMaxWaitingBackendCalls = 16;
}  // namespace

void ChargerSession::open_backend() {
    const auto& backend = server_.backend();
    if (!backend) return;
    const Server::Station* station = server_.station(id_);
    const std::string identity = station && station->backend_identity ? *station->backend_identity : id_;
    const auto password = station && station->backend_password ? station->backend_password : backend->password;
    BackendLink::Target target{backend->host, backend->port, backend->path + identity, version_,
                               password ? std::optional(basic_auth(identity, *password)) : std::nullopt,
                               backend->reconnect_max_s};
    std::weak_ptr<ChargerSession> weak = self();
    backend_ = BackendLink::create(
        ping_timer_.get_executor(), server_.backend_tls(), std::move(target),
        {[weak] {
             if (auto s = weak.lock()) s->backend_opened();
         },
         [weak](std::string text) {
             if (auto s = weak.lock()) s->from_backend(text);
         },
         [weak](const std::string& cause) {
             if (auto s = weak.lock()) s->backend_lost(cause);
         }});
    backend_state_ = BackendState::Connecting;
    backend_->start();
    report_backend_limit();  // what the CSMS set before a reconnection still holds
}

void ChargerSession::backend_opened() {
    if (closed_) return;
    backend_state_ = BackendState::Open;
    log::info("ocpp: " + id_ + ": connected to the CSMS");
    if (station_call_ && !station_call_->sent) {
        station_call_->sent = true;
        send_to_backend(station_call_->text);
    }
}

void ChargerSession::backend_lost(const std::string& cause) {
    if (closed_) return;
    const bool was_open = backend_state_ == BackendState::Open;
    backend_state_ = BackendState::Down;
    if (was_open) log::warning("ocpp: " + id_ + ": lost the CSMS (" + cause + "); fuseguard answers the station");
    else log::warning("ocpp: " + id_ + ": cannot reach the CSMS: " + cause);
    // What the CSMS has not answered, fuseguard answers; what it asked of the
    // station can no longer reach it (its answer goes nowhere).
    if (station_call_) answer_locally();
    backend_calls_.clear();
}

void ChargerSession::send_to_backend(std::string text) {
    if (backend_ && backend_state_ == BackendState::Open) backend_->send(std::move(text));
}

void ChargerSession::relay_station_call(const Call& call, const std::string& text, Frame local_answer) {
    // A station sends one CALL at a time; one that does not gets the older
    // answered by us rather than lost.
    if (station_call_) answer_locally();
    if (backend_state_ == BackendState::Down) {
        std::string wire = serialize(local_answer, version_);
        return answer_station(call, local_answer, std::move(wire));
    }
    station_call_ = StationCall{call, text, std::move(local_answer), false};
    if (backend_state_ == BackendState::Open) {
        station_call_->sent = true;
        send_to_backend(text);
    }
    answer_timer_.expires_after(config::seconds(server_.backend()->answer_timeout_s));
    answer_timer_.async_wait([s = self(), id = call.id](boost::system::error_code ec) {
        if (ec || s->closed_ || !s->station_call_ || s->station_call_->call.id != id) return;
        log::warning("ocpp: " + s->id_ + ": the CSMS did not answer " + s->station_call_->call.action + " within " +
                     std::to_string(static_cast<int>(s->server_.backend()->answer_timeout_s)) +
                     " s; fuseguard answered it");
        s->answer_locally();
    });
}

void ChargerSession::answer_locally() {
    answer_timer_.cancel();
    auto pending = std::move(*station_call_);
    station_call_.reset();
    std::string wire = serialize(pending.local_answer, version_);
    answer_station(pending.call, pending.local_answer, std::move(wire));
}

void ChargerSession::from_backend(const std::string& text) {
    if (closed_) return;
    auto parsed = parse_frame(text, version_);
    if (auto* f = std::get_if<FrameFailure>(&parsed)) {
        log::warning("ocpp: " + id_ + ": the CSMS sent a frame we cannot read: " + f->description);
        if (f->answer) send_to_backend(serialize(Frame{CallError{f->id, f->code, f->description, {}}}, version_));
        return;
    }
    auto& frame = std::get<Frame>(parsed);
    if (auto* c = std::get_if<Call>(&frame)) return relay_backend_call(*c, text);
    const std::string& id = std::holds_alternative<CallResult>(frame) ? std::get<CallResult>(frame).id
                                                                        : std::get<CallError>(frame).id;
    if (!station_call_ || !station_call_->sent || station_call_->call.id != id) {
        log::info("ocpp: " + id_ + ": the CSMS answered " + id + " after fuseguard did; not relayed");
        return;
    }
    answer_timer_.cancel();
    auto pending = std::move(*station_call_);
    station_call_.reset();
    answer_station(pending.call, frame, text);  // the CSMS's own bytes
}

void ChargerSession::relay_backend_call(const Call& call, const std::string& text) {
    // fuseguard owns the limits (SPEC 3): charger_backend_limit.cpp.
    if (call.action == "SetChargingProfile") return take_backend_profile(call);
    if (call.action == "ClearChargingProfile") return clear_backend_profiles(call);
    if (backend_calls_.size() >= kMaxWaitingBackendCalls) {
        send_to_backend(serialize(
            Frame{CallError{call.id, ErrorCode::GenericError,
                            "the station has " + std::to_string(kMaxWaitingBackendCalls) + " calls waiting", {}}},
            version_));
        return;
    }
    backend_calls_.push_back({call.id, call.action, text});
    send_next_backend_call();
}

void ChargerSession::send_next_backend_call() {
    if (in_flight_ || backend_in_flight_ || backend_calls_.empty() || closed_) return;
    backend_in_flight_ = std::move(backend_calls_.front());
    backend_calls_.pop_front();
    send(backend_in_flight_->text);  // the CSMS's own bytes
    backend_call_timer_.expires_after(kCallTimeout);
    backend_call_timer_.async_wait([s = self(), id = backend_in_flight_->id](boost::system::error_code ec) {
        if (ec || !s->backend_in_flight_ || s->backend_in_flight_->id != id) return;
        log::warning("ocpp: " + s->id_ + ": no answer to the CSMS's " + s->backend_in_flight_->action + " within 30 s");
        s->finish_backend_call();
    });
}

void ChargerSession::finish_backend_call() {
    backend_call_timer_.cancel();
    backend_in_flight_.reset();
    // Ours first if one waits: neither side waits longer than one CALL.
    send_next_call();
    send_next_backend_call();
}

}  // namespace fuseguard::ocpp
