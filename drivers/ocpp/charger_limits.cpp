// ChargerSession, part: the profiles that carry fuseguard's limit to the
// station, and their renewal (docs/ocpp.md "Failsafe", limit_profiles.hpp).
#include <boost/asio/post.hpp>

#include <memory>

#include "charger_session.hpp"
#include "drivers/iso8601.hpp"
#include "drivers/log.hpp"
#include "profile_rules.hpp"
#include "server.hpp"
#include "v16/set_charging_profile.hpp"
#include "v201/set_charging_profile.hpp"

namespace fuseguard::ocpp {

namespace {
// What a SetChargingProfile answer (or its absence) says of the profile.
ChargerSession::LimitOutcome outcome_of(const ChargerSession::Answer& a, Version v) {
    ChargerSession::LimitOutcome out{false, true, "timeout"};
    if (const auto* r = std::get_if<CallResult>(&a)) {
        std::variant<std::string, PayloadError> status;
        if (v == Version::V16) {
            auto res = v16::SetChargingProfileResponse::from_json(r->payload);
            if (auto* ok = std::get_if<v16::SetChargingProfileResponse>(&res)) status = ok->status;
            else status = std::get<PayloadError>(res);
        } else {
            auto res = v201::SetChargingProfileResponse::from_json(r->payload);
            if (auto* ok = std::get_if<v201::SetChargingProfileResponse>(&res)) status = ok->status;
            else status = std::get<PayloadError>(res);
        }
        if (auto* st = std::get_if<std::string>(&status)) {
            out = {*st == "Accepted", false, *st};
        } else {
            out.detail = "invalid answer: " + std::get<PayloadError>(status).description;
        }
    } else if (const auto* e = std::get_if<CallError>(&a)) {
        out = {false, false, "CALLERROR " + std::string(name(e->code, v)) + ": " + e->description};
    }
    return out;
}
}  // namespace

LimitLayers ChargerSession::layers() const {
    const auto& cfg = server_.config();
    const auto* station = server_.station(id_);
    LimitLayers l{cfg.profile_purpose, station ? station->fallback_a : std::nullopt,
                  static_cast<int>(cfg.failsafe_after_s), station ? station->max_current_a : 0};
    // A station whose smart charging cannot hold them gets the station limit
    // alone, as a station without a fallback does.
    if (l.fallback_a && !layers_fit(l, station_config_.capabilities)) l.fallback_a.reset();
    return l;
}

void ChargerSession::send_profile(int connector, const ChargingProfile& p, LimitDone done) {
    ProfileTarget target;
    target.connector = connector;
    target.connector_count = std::max(connector, 1);
    for (const auto& [c, tx] : transactions_) {
        target.transactions[c] = tx.id;
        target.connector_count = std::max(target.connector_count, c);
    }
    // Our own composition breaking a station stack's rules is a defect of
    // ours: say so, and let the station count as refusing it.
    if (auto why = profile_refusal(p, target, station_config_.capabilities, version_)) {
        log::error("ocpp: " + id_ + ": not sending a profile its stack would refuse: " + *why);
        boost::asio::post(call_timer_.get_executor(), [done = std::move(done), why = *why] {
            done(LimitOutcome{false, false, "not sent: " + why});
        });
        return;
    }
    nlohmann::json payload = version_ == Version::V16 ? v16::SetChargingProfileRequest{connector, p}.to_json()
                                                      : v201::SetChargingProfileRequest{connector, p}.to_json();
    call("SetChargingProfile", std::move(payload),
         [v = version_, done = std::move(done)](const Answer& a) { done(outcome_of(a, v)); });
}

void ChargerSession::apply_limit(double amps, LimitDone done) {
    limit_ = amps;
    // The outcome of the station limit, and of every transaction's profile
    // when the station limit does not cap running transactions (a
    // TxDefaultProfile): a lowering holds only once they are all accepted.
    // Under a station maximum the transactions' profiles allow the capacity
    // and do not change with the limit: nothing to send for them here (a
    // transaction profile the station refuses leaves that transaction at its
    // fallback layer, and is logged where it is sent).
    struct Tally {
        int waiting = 1;
        LimitOutcome outcome{true, false, "Accepted"};
        LimitDone done;
    };
    auto tally = std::make_shared<Tally>();
    tally->done = std::move(done);
    auto count = [tally](const LimitOutcome& o) {
        if (!o.accepted && tally->outcome.accepted) tally->outcome = o;
        tally->outcome.unanswered = tally->outcome.unanswered || o.unanswered;
        if (--tally->waiting == 0 && tally->done) tally->done(tally->outcome);
    };
    const LimitLayers l = layers();
    const bool tx_follows = l.fallback_a && transactions_follow_limit(l);
    if (tx_follows) tally->waiting += static_cast<int>(transactions_.size());
    send_profile(0, station_limit_profile(l, amps), count);
    if (tx_follows && !transactions_.empty()) {
        for (const auto& [connector, tx] : transactions_) send_transaction_profile(connector, count);
        do_renew();  // just renewed: the next renewal is due from now
    }
}

void ChargerSession::send_transaction_profile(int connector, LimitDone done) {
    const auto it = transactions_.find(connector);
    const LimitLayers l = layers();
    // Before any limit there is nothing to carry, except under a station
    // maximum: the capacity (what the station is counted at then), so that
    // its step is in place from the start.
    const double amps = transaction_amps(l, limit_.value_or(0));
    if (it == transactions_.end() || !l.fallback_a || (!limit_ && amps <= 0)) {
        if (done) done(LimitOutcome{true, false, "Accepted"});
        return;
    }
    ChargingProfile p;
    if (!absolute_transactions_ && !it->second.start_unknown) {
        const long elapsed = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - it->second.started).count();
        p = transaction_profile(l, amps, connector, it->second.id, elapsed);
    } else if (station_clock_offset_) {
        p = absolute_transaction_profile(l, amps, connector, it->second.id,
                                         iso8601(std::chrono::system_clock::now() + *station_clock_offset_));
    } else {
        return learn_station_clock([s = self(), connector, done](bool known) {
            if (known) return s->send_transaction_profile(connector, done);
            if (done) done(LimitOutcome{false, false, "its clock is not known"});
        });
    }
    it->second.steps_down_at = Clock::now() + config::seconds(l.failsafe_after_s);
    verify_failsafe();  // queued after the profile: the answer shows it
    send_profile(connector, p, [s = self(), connector, relative = p.kind == ProfileKind::Relative, done](const LimitOutcome& o) {
        // EVerest's rules allow a Relative TxProfile, but not every stack
        // does: such a station gets Absolute ones from its own clock.
        if (relative && !o.accepted && !o.unanswered && !s->closed_) {
            log::info("ocpp: " + s->id_ + " refused a Relative transaction profile (" + o.detail +
                      "): sending Absolute ones, from its own clock");
            s->absolute_transactions_ = true;
            return s->send_transaction_profile(connector, done);
        }
        if (!o.accepted)
            log::warning("ocpp: " + s->id_ + " did not take the limit for the transaction on connector " +
                         std::to_string(connector) + ": " + o.detail);
        if (done) done(o);
    });
}

void ChargerSession::send_fallback_layer() {
    const LimitLayers l = layers();
    if (!l.fallback_a) return;
    send_profile(0, fallback_profile(*l.fallback_a), [id = id_](const LimitOutcome& o) {
        if (!o.accepted) log::warning("ocpp: " + id + " did not take its fallback layer: " + o.detail);
    });
}

void ChargerSession::transaction_started(int connector, const std::string& transaction_id) {
    transactions_[connector] = Transaction{transaction_id, Clock::now(), std::nullopt, false};
    report_backend_limit();
    // Until its own profile arrives it gets no more than the fallback layer.
    // Sent once the start is answered: a 1.6 station learns the id from it.
    boost::asio::post(renew_timer_.get_executor(), [s = self(), connector, transaction_id] {
        const auto it = s->transactions_.find(connector);
        if (!s->closed_ && it != s->transactions_.end() && it->second.id == transaction_id)
            s->send_transaction_profile(connector, nullptr);
    });
}

void ChargerSession::transaction_seen(int connector, const std::string& transaction_id) {
    if (connector <= 0 || closed_) return;
    const auto it = transactions_.find(connector);
    if (it != transactions_.end() && it->second.id == transaction_id) return;
    log::info("ocpp: " + id_ + ": transaction " + transaction_id + " on connector " + std::to_string(connector) +
              " began before this connection: its profile goes out Absolute, from the station's clock");
    transactions_[connector] = Transaction{transaction_id, Clock::now(), std::nullopt, true};
    send_transaction_profile(connector, nullptr);
}

void ChargerSession::transaction_ended(const std::string& transaction_id) {
    for (auto it = transactions_.begin(); it != transactions_.end();) {
        if (it->second.id != transaction_id) {
            ++it;
            continue;
        }
        // The CSMS's profile for the transaction ends with it, as on a station.
        if (backend_state_ != BackendState::None) server_.backend_profiles(id_).transaction_ended(it->first);
        it = transactions_.erase(it);
    }
    report_backend_limit();
}

// Every transaction's profile again, each half of failsafe_after_s, so that
// its step to the fallback stays ahead while we are here (a renewal at most
// every third of it, as the issue asks, leaves room for a slow answer).
void ChargerSession::do_renew() {
    renew_timer_.expires_after(config::seconds(server_.config().failsafe_after_s / 2));
    renew_timer_.async_wait([s = self()](boost::system::error_code ec) {
        if (ec || s->closed_) return;
        for (const auto& [connector, tx] : s->transactions_) s->send_transaction_profile(connector, nullptr);
        s->do_renew();
    });
}

}  // namespace fuseguard::ocpp
