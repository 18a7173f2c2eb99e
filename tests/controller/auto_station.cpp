#include "auto_station.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>

#include "drivers/iso8601.hpp"
#include "drivers/ocpp/limit_profiles.hpp"
#include "drivers/ocpp/v16/set_charging_profile.hpp"

namespace fuseguard::test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using nlohmann::json;

namespace {
std::atomic<std::uint64_t> g_seq{0};
}

double limit_of(const json& p) {
    try {
        return p.at("csChargingProfiles").at("chargingSchedule").at("chargingSchedulePeriod").at(0).at("limit").get<double>();
    } catch (const std::exception&) {
        return -1;
    }
}

AutoStation::AutoStation(std::string id, std::uint16_t port, const AutoStation* before) : id_(std::move(id)), ws_(io_) {
    if (before) {
        std::lock_guard lock(before->mutex_);
        held_ = before->held_;
        tx_start_ = before->tx_start_;
        tx_id_ = before->tx_id_;
        capacity_ = before->capacity_;
    }
    beast::get_lowest_layer(ws_).connect({net::ip::make_address("127.0.0.1"), port});
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::request_type& r) { r.set(beast::http::field::sec_websocket_protocol, "ocpp1.6"); }));
    ws_.handshake("127.0.0.1", "/ocpp/" + id_);
    open_ = true;
    do_read();
    thread_ = std::thread([this] { io_.run(); });
}

AutoStation::~AutoStation() {
    close();
    if (thread_.joinable()) thread_.join();
}

void AutoStation::close() {
    net::post(io_, [this] {
        if (!open_) return;
        open_ = false;
        beast::error_code ec;
        beast::get_lowest_layer(ws_).socket().shutdown(net::ip::tcp::socket::shutdown_both, ec);
        beast::get_lowest_layer(ws_).socket().close(ec);
    });
}

void AutoStation::call(const std::string& action, const json& payload) {
    net::post(io_, [this, action, payload] {
        const std::string id = id_ + "-" + std::to_string(++next_id_);
        {
            std::lock_guard lock(mutex_);
            awaiting_[id] = action;
        }
        write(json::array({2, id, action, payload}).dump());
    });
}

void AutoStation::start_transaction(const std::string& id_tag) {
    {
        std::lock_guard lock(mutex_);
        tx_start_ = station_now();
    }
    call("StartTransaction", {{"connectorId", 1}, {"idTag", id_tag}, {"meterStart", 0}, {"timestamp", "2026-01-01T00:00:00Z"}});
}

void AutoStation::resume_transaction(const std::string& id, std::chrono::seconds began_ago, double drawing_a) {
    {
        std::lock_guard lock(mutex_);
        tx_id_ = id;
        tx_start_ = station_now() - began_ago;
    }
    send_meter_values(drawing_a, 1, std::stoi(id));
}

void AutoStation::send_meter_values(double amps, int connector, std::optional<int> transaction_id) {
    send_meter_values({amps, amps, amps}, connector, transaction_id);
}

void AutoStation::send_meter_values(const std::array<double, 3>& per_phase, int connector,
                                    std::optional<int> transaction_id) {
    json sampled = json::array();
    for (std::size_t k = 0; k < 3; ++k) {
        char value[16];
        std::snprintf(value, sizeof value, "%.1f", per_phase[k]);
        const std::string phase = "L" + std::to_string(k + 1);
        sampled.push_back({{"value", value}, {"measurand", "Current.Import"}, {"phase", phase}, {"unit", "A"}});
    }
    json payload = {{"connectorId", connector},
                    {"meterValue", {{{"timestamp", iso8601(station_now())}, {"sampledValue", sampled}}}}};
    if (transaction_id) payload["transactionId"] = *transaction_id;
    call("MeterValues", payload);
}

void AutoStation::stop_transaction() {
    std::string tx;
    {
        std::lock_guard lock(mutex_);
        tx = tx_id_;
        tx_start_.reset();
        tx_id_.clear();
        held_.transaction_ended(1);
    }
    call("StopTransaction", {{"transactionId", tx.empty() ? 0 : std::stoi(tx)}, {"meterStop", 0},
                             {"timestamp", "2026-01-01T00:00:00Z"}});
}

std::string AutoStation::transaction_id() {
    std::lock_guard lock(mutex_);
    return tx_id_;
}

void AutoStation::go_deaf() { deaf_ = true; }

// Its last evaluation: a step of a schedule takes effect at the first
// evaluation after it is due. (Profiles installed since count at once: the
// tests are about steps.) Called with mutex_ held.
std::chrono::system_clock::time_point AutoStation::evaluated_at() const {
    auto t = station_now();
    if (evaluation_interval_.count() > 0) t -= (t - evaluated_from_) % evaluation_interval_;
    return t;
}

double AutoStation::allowed_now(double capacity) {
    std::lock_guard lock(mutex_);
    return held_.limit_at(1, evaluated_at(), tx_start_).value_or(capacity);
}

double AutoStation::may_draw_now(double capacity) {
    std::lock_guard lock(mutex_);
    const auto t = evaluated_at();
    double most = held_.limit_at(1, t, tx_start_).value_or(capacity);
    if (ignores_profiles_ || unanswered_profiles_.empty()) return most;
    // It may apply each profile as it arrives, before answering: what it
    // holds after each of them in turn, as its own rules combine them (a
    // transaction's profile at its capacity under a station maximum is
    // still capped by that maximum).
    ocpp::HeldProfiles applying = held_;
    for (const auto& index : unanswered_profiles_) {
        auto req = ocpp::v16::SetChargingProfileRequest::from_json(calls_[index].payload);
        if (auto* r = std::get_if<ocpp::v16::SetChargingProfileRequest>(&req)) applying.install(r->connector_id, r->profile);
        most = std::max(most, applying.limit_at(1, t, tx_start_).value_or(capacity));
    }
    return most;
}

void AutoStation::send_raw(std::string text) {
    net::post(io_, [this, text = std::move(text)]() mutable { write(std::move(text)); });
}

void AutoStation::set_evaluation_interval(std::chrono::seconds interval) {
    std::lock_guard lock(mutex_);
    evaluation_interval_ = interval;
    evaluated_from_ = station_now();
}

bool AutoStation::wait_allowed(double capacity, const std::function<bool(double)>& pred,
                               std::chrono::milliseconds deadline) {
    // The schedules move with the clock, not with events: look every 50 ms.
    const auto until = std::chrono::steady_clock::now() + deadline;
    for (;;) {
        if (pred(allowed_now(capacity))) return true;
        if (std::chrono::steady_clock::now() >= until) return false;
        std::unique_lock lock(mutex_);
        cv_.wait_for(lock, std::chrono::milliseconds(50));
    }
}

void AutoStation::status(int connector, const std::string& status, const std::string& error, const json& extra) {
    json p{{"connectorId", connector}, {"status", status}, {"errorCode", error}};
    for (auto& [k, v] : extra.items()) p[k] = v;
    call("StatusNotification", p);
}

void AutoStation::set_answer(const std::string& action, const std::string& status) {
    std::lock_guard lock(mutex_);
    answers_[action] = status;
}

void AutoStation::set_clock_offset(std::chrono::system_clock::duration offset) {
    std::lock_guard lock(mutex_);
    clock_offset_ = offset;
}

void AutoStation::refuse_relative_transaction_profiles() {
    std::lock_guard lock(mutex_);
    refuses_relative_tx_ = true;
}

std::chrono::system_clock::time_point AutoStation::station_now() const {
    return std::chrono::system_clock::now() + clock_offset_;
}

void AutoStation::ignore_profiles(double capacity) {
    std::lock_guard lock(mutex_);
    ignores_profiles_ = true;
    held_.clear();
    capacity_ = capacity;
}

void AutoStation::set_answer_delay(const std::string& action, std::chrono::milliseconds delay) {
    std::lock_guard lock(mutex_);
    delays_[action] = delay;
}

std::string recorded_action(const std::string& action, const json& payload) {
    if (action != "SetChargingProfile") return action;
    const json profile = payload.value("csChargingProfiles", json::object());
    if (profile.value("chargingProfileId", 0) == ocpp::kFallbackProfileId) return action + "/fallback";
    if (profile.value("chargingProfilePurpose", "") == "TxProfile") return action + "/transaction";
    return action;
}

void AutoStation::apply_profile_rules(ocpp::ProfileCapabilities caps) {
    std::lock_guard lock(mutex_);
    rules_ = caps;
}

std::vector<std::string> AutoStation::refusals() {
    std::lock_guard lock(mutex_);
    return refusals_;
}

std::string AutoStation::profile_refusal_of(const json& payload) const {
    auto req = ocpp::v16::SetChargingProfileRequest::from_json(payload);
    if (auto* e = std::get_if<ocpp::PayloadError>(&req)) return "unreadable: " + e->description;
    const auto& r = std::get<ocpp::v16::SetChargingProfileRequest>(req);
    ocpp::ProfileTarget target;
    target.connector = r.connector_id;
    target.connector_count = 1;
    if (!tx_id_.empty()) target.transactions[1] = tx_id_;
    return ocpp::profile_refusal(r.profile, target, *rules_, ocpp::Version::V16).value_or("");
}

void AutoStation::do_read() {
    ws_.async_read(buffer_, [this](beast::error_code ec, std::size_t) {
        if (ec) {
            open_ = false;
            return;
        }
        const auto text = beast::buffers_to_string(buffer_.data());
        buffer_.consume(buffer_.size());
        on_frame(text);
        do_read();
    });
}

void AutoStation::on_frame(const std::string& text) {
    if (deaf_) return;
    auto frame = json::parse(text, nullptr, false);
    if (!frame.is_discarded() && frame.is_array() && frame.size() == 3 && frame[0] == 3 && frame[1].is_string()) {
        std::lock_guard lock(mutex_);
        const auto it = awaiting_.find(frame[1].get<std::string>());
        if (it == awaiting_.end()) return;
        if (it->second == "StartTransaction" && frame[2].is_object() && frame[2].contains("transactionId"))
            tx_id_ = frame[2]["transactionId"].dump();
        awaiting_.erase(it);
        cv_.notify_all();
        return;
    }
    if (frame.is_discarded() || !frame.is_array() || frame.empty() || frame[0] != 2) return;
    const std::string action = frame[2];
    std::string status = "Accepted";
    {
        std::lock_guard lock(mutex_);
        calls_.push_back({++g_seq, id_, recorded_action(action, frame[3]), action, frame[3]});
        if (action == "SetChargingProfile") unanswered_profiles_.insert(calls_.size() - 1);
        if (auto it = answers_.find(calls_.back().action); it != answers_.end()) status = it->second;
        else if (auto any = answers_.find(action); any != answers_.end()) status = any->second;
        if (refuses_relative_tx_ && calls_.back().action == "SetChargingProfile/transaction" &&
            frame[3]["csChargingProfiles"].value("chargingProfileKind", "") == "Relative")
            status = "Rejected";
        if (rules_ && action == "SetChargingProfile") {
            if (auto why = profile_refusal_of(frame[3]); !why.empty()) {
                refusals_.push_back(why);
                status = "Rejected";
            }
        }
        cv_.notify_all();
    }
    json answer = {{"status", status}};
    if (action == "UnlockConnector" && status == "Accepted") answer["status"] = "Unlocked";
    {
        std::lock_guard lock(mutex_);
        to_answer_.emplace_back(calls_.size() - 1, json::array({3, frame[1], answer}).dump());
    }
    if (!answering_) answer_next();
}

// One answer at a time, each after its action's delay.
void AutoStation::answer_next() {
    std::chrono::milliseconds delay{0};
    {
        std::lock_guard lock(mutex_);
        if (to_answer_.empty()) {
            answering_ = false;
            return;
        }
        if (auto it = delays_.find(calls_[to_answer_.front().first].wire_action); it != delays_.end()) delay = it->second;
    }
    answering_ = true;
    auto send_it = [this] {
        std::string frame;
        {
            std::lock_guard lock(mutex_);
            auto [index, text] = std::move(to_answer_.front());
            to_answer_.pop_front();
            calls_[index].answered_seq = ++g_seq;
            unanswered_profiles_.erase(index);
            const bool accepted = text.find("\"Accepted\"") != std::string::npos;
            if (calls_[index].wire_action == "SetChargingProfile" && accepted && !ignores_profiles_) {
                auto req = ocpp::v16::SetChargingProfileRequest::from_json(calls_[index].payload);
                if (auto* r = std::get_if<ocpp::v16::SetChargingProfileRequest>(&req))
                    held_.install(r->connector_id, r->profile);
            }
            // What it holds once every earlier call is answered, as a station
            // works out its composite schedule.
            if (calls_[index].wire_action == "GetCompositeSchedule" && accepted) {
                auto req = ocpp::GetCompositeScheduleRequest::from_json(calls_[index].payload, ocpp::Version::V16);
                if (auto* r = std::get_if<ocpp::GetCompositeScheduleRequest>(&req)) {
                    auto f = json::parse(text);
                    const ocpp::GetCompositeScheduleResponse res{
                        "Accepted", held_.composite(r->connector, station_now(), tx_start_, r->duration_s, capacity_)};
                    f[2] = res.to_json(ocpp::Version::V16, r->connector);
                    text = f.dump();
                }
            }
            frame = std::move(text);
            cv_.notify_all();
        }
        write(std::move(frame));
        answer_next();
    };
    if (delay.count() == 0) return send_it();
    if (!answer_timer_) answer_timer_ = std::make_unique<net::steady_timer>(io_);
    answer_timer_->expires_after(delay);
    answer_timer_->async_wait([send_it](beast::error_code ec) {
        if (!ec) send_it();
    });
}

void AutoStation::write(std::string text) {
    out_.push_back(std::move(text));
    if (!writing_) do_write();
}

void AutoStation::do_write() {
    if (out_.empty() || !open_) return;
    writing_ = true;
    ws_.text(true);
    ws_.async_write(net::buffer(out_.front()), [this](beast::error_code ec, std::size_t) {
        writing_ = false;
        if (ec) return;
        out_.pop_front();
        do_write();
    });
}

bool AutoStation::wait_calls(const std::string& action,
                             const std::function<bool(const std::vector<ReceivedCall>&)>& pred,
                             std::chrono::milliseconds deadline) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, deadline, [&] {
        std::vector<ReceivedCall> of;
        for (const auto& c : calls_)
            if (c.action == action) of.push_back(c);
        return pred(of);
    });
}

std::vector<ReceivedCall> AutoStation::calls(const std::string& action) {
    std::lock_guard lock(mutex_);
    std::vector<ReceivedCall> of;
    for (const auto& c : calls_)
        if (c.action == action) of.push_back(c);
    return of;
}

double AutoStation::last_limit() {
    auto c = calls("SetChargingProfile");
    return c.empty() ? -1 : limit_of(c.back().payload);
}

}  // namespace fuseguard::test

namespace fuseguard::test {

std::uint64_t AutoStation::now() { return g_seq.load(); }

StationSideLoad station_side_peak(const std::vector<AutoStation*>& stations, double capacity_a, std::uint64_t from_seq) {
    struct Event {
        std::uint64_t seq;
        std::size_t station;
        double limit;
        bool answer;
    };
    std::vector<Event> events;
    for (std::size_t i = 0; i < stations.size(); ++i)
        for (const auto& c : stations[i]->calls("SetChargingProfile")) {
            events.push_back({c.seq, i, limit_of(c.payload), false});
            if (c.answered_seq) events.push_back({c.answered_seq, i, limit_of(c.payload), true});
        }
    std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) { return a.seq < b.seq; });
    std::vector<double> held(stations.size(), capacity_a);
    std::vector<std::vector<double>> pending(stations.size());
    StationSideLoad peak;
    for (const auto& e : events) {
        auto& p = pending[e.station];
        if (e.answer) {
            held[e.station] = e.limit;  // every answer here is Accepted
            p.erase(std::find(p.begin(), p.end(), e.limit));
        } else {
            p.push_back(e.limit);
        }
        double total = 0;
        for (std::size_t i = 0; i < stations.size(); ++i) {
            double may = held[i];
            for (double v : pending[i]) may = std::max(may, v);
            total += may;
        }
        if (e.seq > from_seq && total > peak.peak_a) {
            peak.peak_a = total;
            peak.at = std::string(e.answer ? "answer of " : "receipt by ") + stations[e.station]->id() + " of " +
                      std::to_string(e.limit) + " A";
        }
    }
    return peak;
}

}  // namespace fuseguard::test
