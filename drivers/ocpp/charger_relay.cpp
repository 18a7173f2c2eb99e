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

ChargerSession::Relay& ChargerSession::relay() {
    if (!relay_) relay_ = std::make_unique<Relay>(ping_timer_.get_executor());
    return *relay_;
}

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
    backend_ = make_backend_link(
        std::move(target),
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
    report_backend_link();
    backend_->start();
    report_backend_limit();  // what the CSMS set before a reconnection still holds
}

void ChargerSession::reopen_backend(const std::string& why) {
    if (closed_ || !backend_) return;
    log::info("ocpp: " + id_ + ": reconnecting to the CSMS: " + why);
    backend_->stop();  // its handlers go with it: nothing more comes from it
    backend_.reset();
    backend_lost(why);
    open_backend();
}

std::shared_ptr<BackendLink> ChargerSession::make_backend_link(BackendLink::Target target,
                                                               BackendLink::Handlers handlers) {
    return BackendLink::create(ping_timer_.get_executor(), server_.backend_tls(), std::move(target), std::move(handlers));
}

void ChargerSession::backend_opened() {
    if (closed_) return;
    Relay& r = relay();
    backend_state_ = BackendState::Open;
    log::info("ocpp: " + id_ + ": connected to the CSMS");
    report_backend_link();
    if (needs_replay()) {
        // What the CSMS missed goes first: a call held for the link joins it.
        r.replaying = true;
        if (r.station_call && !r.station_call->sent) answer_locally();
        return start_replay();
    }
    if (r.station_call && !r.station_call->sent) {
        r.station_call->sent = true;
        send_to_backend(with_backend_transaction(r.station_call->call, r.station_call->text));
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
    if (relay().station_call) answer_locally();
    relay().backend_calls.clear();
    stop_replay();
    report_backend_link(cause);
}

void ChargerSession::report_backend_link(const std::string& cause) {
    if (closed_ || backend_state_ == BackendState::None) return;
    const char* state = backend_state_ == BackendState::Open   ? "online"
                        : backend_state_ == BackendState::Down ? "offline"
                                                               : "connecting";
    if (!cause.empty()) relay().backend_cause = cause;
    auto* queue = server_.offline_queue();
    server_.emit(BackendLinkChanged{id_, state, backend_state_ == BackendState::Down ? relay().backend_cause : "",
                                    queue ? queue->depth(id_) : 0});
}

void ChargerSession::send_to_backend(std::string text) {
    if (backend_ && backend_state_ == BackendState::Open) backend_->send(std::move(text));
}

void ChargerSession::relay_station_call(Call call, const std::string& text, Frame local_answer) {
    // A station sends one CALL at a time; one that does not gets the older
    // answered by us rather than lost.
    Relay& r = relay();
    if (r.station_call) answer_locally();
    note_for_replay(call);
    // While the CSMS is away or catching up, fuseguard answers: the call
    // joins the queue behind what the CSMS has not seen yet.
    r.station_call = StationCall{std::move(call), text, std::move(local_answer), false};
    if (backend_state_ == BackendState::Down || r.replaying) return answer_locally();
    if (backend_state_ == BackendState::Open) {
        r.station_call->sent = true;
        send_to_backend(with_backend_transaction(r.station_call->call, text));
    }
    r.answer_timer.expires_after(config::seconds(server_.backend()->answer_timeout_s));
    r.answer_timer.async_wait([s = self(), id = r.station_call->call.id](boost::system::error_code ec) {
        if (ec || s->closed_ || !s->relay().station_call || s->relay().station_call->call.id != id) return;
        log::warning("ocpp: " + s->id_ + ": the CSMS did not answer " + s->relay().station_call->call.action + " within " +
                     std::to_string(static_cast<int>(s->server_.backend()->answer_timeout_s)) +
                     " s; fuseguard answered it");
        s->answer_locally();
    });
}

ChargerSession::StationCall ChargerSession::take_station_call() {
    Relay& r = relay();
    r.answer_timer.cancel();
    auto pending = std::move(*r.station_call);
    r.station_call.reset();
    return pending;
}

void ChargerSession::answer_locally() {
    auto pending = take_station_call();
    std::string wire = serialize(pending.local_answer, version_);
    // Sent, the CSMS may have it. Over a link still up it is only slow: not
    // sent again. Over a link that dropped it is kept for the replay (the
    // CSMS may then see it twice), except a StartTransaction: twice would be
    // two transactions; its late answer still maps the id.
    const bool open = backend_state_ == BackendState::Open;
    if (pending.sent && (open || pending.call.action == "StartTransaction"))
        note_late_start(pending.call, pending.local_answer);
    else
        keep_for_replay(pending.call, pending.local_answer);
    answer_station(pending.call, pending.local_answer, std::move(wire));
    // Kept while the link is up (a station that sent two calls at once): the
    // CSMS gets it now, in order.
    if (open && !relay().replaying && needs_replay()) start_replay();
}

namespace {
// Station calls whose answer fuseguard reads (a boot's acceptance, a
// transaction id, a tag's status); the others' answers are relayed once
// their id is known, without building their payload.
bool answer_is_read(const std::string& action) {
    return action == "BootNotification" || action == "StartTransaction" || action == "Authorize" ||
           action == "TransactionEvent";
}
}  // namespace

void ChargerSession::from_backend(const std::string& text) {
    if (closed_) return;
    Relay& r = relay();
    if (r.station_call && r.station_call->sent && !answer_is_read(r.station_call->call.action)) {
        if (auto id = call_result_id(text); id && *id == r.station_call->call.id) {
            auto pending = take_station_call();
            return answer_station(pending.call, Frame{CallResult{std::move(*id), {}}}, text);
        }
    }
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
    if (r.upstream_call && r.upstream_call->id == id) return finish_upstream_call(&frame);
    if (!r.station_call || !r.station_call->sent || r.station_call->call.id != id) {
        if (map_late_start(id, frame)) return;
        log::info("ocpp: " + id_ + ": the CSMS answered " + id + " after fuseguard did; not relayed");
        return;
    }
    auto pending = take_station_call();
    learn_tag(pending.call, frame);
    answer_station(pending.call, frame, text);  // the CSMS's own bytes
}

void ChargerSession::learn_tag(const Call& call, const Frame& answer) {
    const auto* r = std::get_if<CallResult>(&answer);
    if (!r || !r->payload.is_object() || !call.payload.is_object()) return;
    const bool v16 = version_ == Version::V16;
    const bool about_a_tag = call.action == "Authorize" || call.action == (v16 ? "StartTransaction" : "TransactionEvent");
    if (!about_a_tag) return;
    const nlohmann::json* tag = nullptr;
    if (v16) {
        const auto it = call.payload.find("idTag");
        if (it != call.payload.end()) tag = &*it;
    } else if (const auto token = call.payload.find("idToken"); token != call.payload.end() && token->is_object()) {
        const auto it = token->find("idToken");
        if (it != token->end()) tag = &*it;
    }
    const auto info = r->payload.find(v16 ? "idTagInfo" : "idTokenInfo");
    if (!tag || !tag->is_string() || info == r->payload.end() || !info->is_object()) return;
    const auto status = info->find("status");
    if (status == info->end() || !status->is_string()) return;
    // 1.6 idTagInfo.expiryDate, 2.0.1 idTokenInfo.cacheExpiryDateTime.
    const auto expiry = info->find(v16 ? "expiryDate" : "cacheExpiryDateTime");
    server_.learn_tag(tag->get<std::string>(), status->get<std::string>(),
                      expiry != info->end() && expiry->is_string() ? std::optional(expiry->get<std::string>())
                                                                   : std::nullopt);
}

void ChargerSession::relay_backend_call(const Call& call, const std::string& text) {
    // fuseguard owns the limits (SPEC 3): charger_backend_limit.cpp.
    if (call.action == "SetChargingProfile") return take_backend_profile(call);
    if (call.action == "ClearChargingProfile") return clear_backend_profiles(call);
    if (relay().backend_calls.size() >= kMaxWaitingBackendCalls) {
        send_to_backend(serialize(
            Frame{CallError{call.id, ErrorCode::GenericError,
                            "the station has " + std::to_string(kMaxWaitingBackendCalls) + " calls waiting", {}}},
            version_));
        return;
    }
    relay().backend_calls.push_back({call.id, call.action, text});
    send_next_backend_call();
}

void ChargerSession::send_next_backend_call() {
    Relay& r = relay();
    if (in_flight_ || r.backend_in_flight || r.backend_calls.empty() || closed_) return;
    r.backend_in_flight = std::move(r.backend_calls.front());
    r.backend_calls.pop_front();
    send(r.backend_in_flight->text);  // the CSMS's own bytes
    r.backend_call_timer.expires_after(kCallTimeout);
    r.backend_call_timer.async_wait([s = self(), id = r.backend_in_flight->id](boost::system::error_code ec) {
        if (ec || !s->relay().backend_in_flight || s->relay().backend_in_flight->id != id) return;
        log::warning("ocpp: " + s->id_ + ": no answer to the CSMS's " + s->relay().backend_in_flight->action + " within 30 s");
        s->finish_backend_call();
    });
}

void ChargerSession::finish_backend_call() {
    relay().backend_call_timer.cancel();
    relay().backend_in_flight.reset();
    // Ours first if one waits: neither side waits longer than one CALL.
    send_next_call();
    send_next_backend_call();
}

}  // namespace fuseguard::ocpp
