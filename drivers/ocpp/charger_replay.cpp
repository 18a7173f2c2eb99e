// What the CSMS missed while it was unreachable (docs/ocpp.md "Local
// controller"): the transaction messages fuseguard answered itself are kept
// in the OfflineQueue and sent once the link is back, in order, with their
// original timestamps: the station's BootNotification first, then the
// queue, with the 1.6 transaction ids fuseguard handed out replaced by the
// CSMS's, then each connector's last status. Until that is done the station
// goes on being answered by fuseguard, its calls joining the queue.
#include "charger_session.hpp"
#include "drivers/log.hpp"
#include "server.hpp"

namespace fuseguard::ocpp {

namespace {

// A message the CSMS needs to bill and account the transaction.
bool transaction_message(const Call& c, Version v) {
    if (v == Version::V201) return c.action == "TransactionEvent";
    return c.action == "StartTransaction" || c.action == "StopTransaction" ||
           (c.action == "MeterValues" && c.payload.is_object() && c.payload.contains("transactionId"));
}

// The id of a 1.6 transaction a call names, as text.
std::optional<std::string> named_transaction(const nlohmann::json& payload) {
    if (!payload.is_object()) return std::nullopt;
    const auto it = payload.find("transactionId");
    if (it == payload.end() || !it->is_number_integer()) return std::nullopt;
    return std::to_string(it->get<std::int64_t>());
}

std::optional<std::string> answered_transaction(const Frame& answer) {
    const auto* r = std::get_if<CallResult>(&answer);
    return r ? named_transaction(r->payload) : std::nullopt;
}

}  // namespace

void ChargerSession::note_for_replay(const Call& call) {
    auto* queue = server_.offline_queue();
    if (!queue || !call.payload.is_object()) return;
    if (call.action == "BootNotification") {
        queue->set_boot(id_, call.payload);
    } else if (call.action == "StatusNotification") {
        const int connector = version_ == Version::V16
                                  ? call.payload.value("connectorId", 0)
                                  : call.payload.value("evseId", 0) * 1000 + call.payload.value("connectorId", 0);
        relay().last_status[connector] = call.payload;
    }
}

void ChargerSession::keep_for_replay(const Call& call, const Frame& local_answer) {
    auto* queue = server_.offline_queue();
    if (!queue) return;
    if (call.action == "BootNotification") relay().boot_unsent = true;
    if (!transaction_message(call, version_)) return;
    std::optional<std::string> local;
    if (version_ == Version::V16 && call.action == "StartTransaction") {
        local = answered_transaction(local_answer);
        if (local) queue->map_transaction(id_, *local, std::nullopt);
    }
    const int dropped = queue->push(id_, call.action, call.payload, server_.backend()->queue_limit, local);
    report_backend_link();
    if (dropped > 0)
        log::warning("ocpp: " + id_ + ": the CSMS's queue is full (" + std::to_string(server_.backend()->queue_limit) +
                     "): dropped the oldest MeterValues");
}

void ChargerSession::note_late_start(const Call& call, const Frame& local_answer) {
    if (version_ != Version::V16 || call.action != "StartTransaction" || !server_.offline_queue()) return;
    if (auto local = answered_transaction(local_answer)) {
        server_.offline_queue()->map_transaction(id_, *local, std::nullopt);
        relay().late_starts[call.id] = *local;
    }
}

bool ChargerSession::map_late_start(const std::string& id, const Frame& answer) {
    Relay& r = relay();
    const auto it = r.late_starts.find(id);
    if (it == r.late_starts.end()) return false;
    if (auto backend = answered_transaction(answer)) {
        server_.offline_queue()->map_transaction(id_, it->second, backend);
        log::info("ocpp: " + id_ + ": the CSMS's late answer gives transaction " + it->second + " the id " + *backend);
    }
    r.late_starts.erase(it);
    return true;
}

std::string ChargerSession::with_backend_transaction(const Call& call, const std::string& text) {
    auto* queue = server_.offline_queue();
    if (!queue || version_ != Version::V16 || (call.action != "MeterValues" && call.action != "StopTransaction"))
        return text;
    const auto named = named_transaction(call.payload);
    if (!named) return text;
    const auto mapped = queue->backend_transaction(id_, *named);
    // The CSMS's own id; or fuseguard's for a start the CSMS refused or
    // never answered: all it can be told.
    if (!mapped || !*mapped) return text;
    Call upstream = call;
    upstream.payload["transactionId"] = std::stoll(**mapped);
    if (call.action == "StopTransaction") queue->forget_transaction(id_, *named);
    return serialize(Frame{upstream}, version_);
}

bool ChargerSession::needs_replay() {
    auto* queue = server_.offline_queue();
    return queue && (relay().boot_unsent || queue->depth(id_) > 0);
}

void ChargerSession::start_replay() {
    Relay& r = relay();
    r.replaying = true;
    // The CSMS hears of the station before its transactions, also when they
    // were kept across a restart of fuseguard.
    if (server_.offline_queue()->depth(id_) > 0) r.boot_unsent = true;
    r.status_replay.clear();
    r.statuses_due = true;
    log::info("ocpp: " + id_ + ": sending the CSMS what it missed (" +
              std::to_string(server_.offline_queue()->depth(id_)) + " transaction messages)");
    replay_next();
}

void ChargerSession::stop_replay() {
    if (!relay_) return;  // never a local controller
    Relay& r = relay();
    r.replaying = false;
    r.upstream_call.reset();
    r.upstream_timer.cancel();
}

void ChargerSession::replay_next() {
    if (closed_ || backend_state_ != BackendState::Open) return stop_replay();
    Relay& r = relay();
    auto& queue = *server_.offline_queue();
    if (r.boot_unsent) {
        if (auto boot = queue.boot(id_)) {
            return upstream_call("BootNotification", *boot, [s = self()](const Frame* answer) {
                if (!answer) return s->stop_replay();
                s->relay().boot_unsent = false;
                s->replay_next();
            });
        }
        r.boot_unsent = false;
    }
    if (auto message = queue.front(id_)) {
        Call upstream{"", message->action, message->payload};
        std::optional<std::string> ended;  // a StopTransaction's id, forgotten once the CSMS has it
        if (version_ == Version::V16 && message->action != "StartTransaction") {
            if (const auto named = named_transaction(upstream.payload)) {
                if (const auto mapped = queue.backend_transaction(id_, *named); mapped && *mapped)
                    upstream.payload["transactionId"] = std::stoll(**mapped);
                if (message->action == "StopTransaction") ended = named;
            }
        }
        // 2.0.1 (E04): an event the CSMS learns late is flagged offline.
        if (version_ == Version::V201) upstream.payload["offline"] = true;
        const auto local = message->local_transaction;
        const auto seq = message->seq;
        return upstream_call(upstream.action, upstream.payload, [s = self(), local, seq, ended](const Frame* answer) {
            if (!answer) return s->stop_replay();  // kept: sent again on the next link
            auto& q = *s->server_.offline_queue();
            if (ended) q.forget_transaction(s->id_, *ended);
            if (const auto* e = std::get_if<CallError>(answer))
                log::warning("ocpp: " + s->id_ + ": the CSMS refused a replayed message: " + e->description);
            if (local)
                if (auto backend = answered_transaction(*answer)) q.map_transaction(s->id_, *local, backend);
            q.pop(seq);
            s->report_backend_link();
            s->replay_next();
        });
    }
    // Last, each connector's status as it is now.
    if (r.statuses_due) {
        r.statuses_due = false;
        for (const auto& [connector, payload] : r.last_status) r.status_replay.push_back(payload);
    }
    if (!r.status_replay.empty()) {
        auto payload = std::move(r.status_replay.front());
        r.status_replay.pop_front();
        return upstream_call("StatusNotification", payload, [s = self()](const Frame* answer) {
            if (!answer) return s->stop_replay();
            s->replay_next();
        });
    }
    r.replaying = false;
    log::info("ocpp: " + id_ + ": the CSMS is up to date");
}

void ChargerSession::upstream_call(std::string action, nlohmann::json payload, std::function<void(const Frame*)> done) {
    Relay& r = relay();
    const std::string id = "fg-" + std::to_string(next_id_++);
    r.upstream_call = UpstreamCall{id, std::move(done)};
    send_to_backend(serialize(Frame{Call{id, std::move(action), std::move(payload)}}, version_));
    r.upstream_timer.expires_after(kCallTimeout);
    r.upstream_timer.async_wait([s = self(), id](boost::system::error_code ec) {
        if (ec || !s->relay().upstream_call || s->relay().upstream_call->id != id) return;
        log::warning("ocpp: " + s->id_ + ": the CSMS did not answer a replayed message within 30 s");
        s->finish_upstream_call(nullptr);
    });
}

void ChargerSession::finish_upstream_call(const Frame* answer) {
    Relay& r = relay();
    r.upstream_timer.cancel();
    auto done = std::move(r.upstream_call->done);
    r.upstream_call.reset();
    done(answer);
}

}  // namespace fuseguard::ocpp
