#include "sim_station.hpp"

#include <map>

#include "drivers/iso8601.hpp"
#include "drivers/ocpp/limit_profiles.hpp"
#include "drivers/ocpp/v16/set_charging_profile.hpp"
#include "drivers/ocpp/v201/set_charging_profile.hpp"

#include <chrono>
#include <iostream>

namespace fuseguard::sim {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using nlohmann::json;

namespace {

struct Fault {
    const char* code;          // 1.6 errorCode
    const char* vendor;        // vendorErrorCode / techCode, or ""
    bool faulted;              // the connector goes Faulted (no charging)
    const char* component;     // 2.0.1 component
};
// Codes from the notification catalogue: standard errors with and without
// Faulted, a vehicle-caused one (no downtime), ChargeX and CTEK vendor codes.
constexpr Fault kFaults[] = {
    {"HighTemperature", "CX003", false, "EVSE"},
    {"GroundFailure", "CX002", true, "EVSE"},
    {"EVCommunicationError", "", false, "Connector"},
    {"OtherError", "NgErrorOfflineEMS", false, "ChargingStation"},
    {"ConnectorLockFailure", "CX001", true, "Connector"},
    {"PowerSwitchFailure", "CX017", true, "EVSE"},
};


}  // namespace

SimStation::SimStation(net::io_context& io, const SimConfig& cfg, const config::ChargerConfig& charger, bool v201,
                       std::uint32_t seed)
    : io_(io),
      cfg_(cfg),
      charger_(charger),
      phases_(policy::PhaseRotation::parse(charger.phase_rotation, charger.phases).value_or(policy::PhaseRotation{}).used(charger.phases)),
      v201_(v201),
      rng_(seed) {}

void SimStation::start() { do_connect(); }

void SimStation::do_connect() {
    ws_.emplace(io_);
    beast::get_lowest_layer(*ws_).expires_after(std::chrono::seconds(5));
    beast::get_lowest_layer(*ws_).async_connect(
        net::ip::tcp::endpoint{net::ip::make_address(cfg_.ocpp_host), cfg_.ocpp_port},
        beast::bind_front_handler(&SimStation::on_connect, shared_from_this()));
}

void SimStation::on_connect(beast::error_code ec) {
    if (ec) return drop(2);  // fuseguard not up yet: try again shortly
    const std::string proto = v201_ ? "ocpp2.0.1" : "ocpp1.6";
    ws_->set_option(websocket::stream_base::decorator(
        [proto](websocket::request_type& r) { r.set(beast::http::field::sec_websocket_protocol, proto); }));
    ws_->async_handshake(cfg_.ocpp_host, "/ocpp/" + charger_.id,
                         beast::bind_front_handler(&SimStation::on_handshake, shared_from_this()));
}

void SimStation::on_handshake(beast::error_code ec) {
    if (ec) return drop(2);
    beast::get_lowest_layer(*ws_).expires_never();
    open_ = true;
    offline_for_s_ = 0;
    sent_status_.clear();
    if (v201_)
        call("BootNotification", {{"reason", "PowerUp"}, {"chargingStation", {{"model", "SimAC"}, {"vendorName", "fuseguard-sim"}}}});
    else
        call("BootNotification", {{"chargePointVendor", "fuseguard-sim"}, {"chargePointModel", "SimAC"}});
    send_status();
    // A transaction that began while it was away is reported now, as a
    // station queues its transaction messages.
    send_transaction_start();
    do_read();
}

// The connection is gone (or we cut it): the car goes on at the station's
// fallback, as a real station does when it loses its load manager.
void SimStation::drop(double for_s) {
    if (open_) std::cerr << "sim: " << charger_.id << " drops its connection for " << static_cast<int>(for_s) << " s\n";
    open_ = false;
    awaiting_.clear();
    out_.clear();
    writing_ = false;
    if (ws_) {
        beast::error_code ignored;
        beast::get_lowest_layer(*ws_).socket().close(ignored);
    }
    offline_for_s_ = std::max(for_s, 1.0);
}

void SimStation::do_read() {
    ws_->async_read(buffer_, beast::bind_front_handler(&SimStation::on_read, shared_from_this()));
}

void SimStation::on_read(beast::error_code ec, std::size_t) {
    if (ec) {
        if (open_) drop(3);
        return;
    }
    auto frame = json::parse(beast::buffers_to_string(buffer_.data()), nullptr, false);
    buffer_.consume(buffer_.size());
    if (!frame.is_discarded() && frame.is_array() && frame.size() == 4 && frame[0] == 2) on_call(frame);
    if (!frame.is_discarded() && frame.is_array() && frame.size() == 3 && frame[0] == 3) on_result(frame);
    do_read();
}

// What a typical wallbox says of its sampling and smart charging: the energy
// register sampled (fuseguard must keep it), three stack levels, five periods,
// amperes only.
json SimStation::configuration(const std::string& action, const json& p) const {
    const std::map<std::string, std::string> known{{"MeterValuesSampledData", "Energy.Active.Import.Register"},
                                                   {"TxUpdatedMeasurands", "Energy.Active.Import.Register"},
                                                   {"ChargeProfileMaxStackLevel", "3"},
                                                   {"ProfileStackLevel", "3"},
                                                   {"ChargingScheduleMaxPeriods", "5"},
                                                   {"PeriodsPerSchedule", "5"},
                                                   {"ChargingScheduleAllowedChargingRateUnit", "Current"},
                                                   {"RateUnit", "A"}};
    if (action == "GetConfiguration") {
        json keys = json::array(), unknown = json::array();
        for (const auto& k : p.value("key", json::array())) {
            if (!k.is_string()) continue;
            const auto it = known.find(k.get<std::string>());
            if (it == known.end()) unknown.push_back(k);
            else keys.push_back({{"key", it->first}, {"readonly", false}, {"value", it->second}});
        }
        return {{"configurationKey", keys}, {"unknownKey", unknown}};
    }
    json results = json::array();
    for (const auto& d : p.value("getVariableData", json::array())) {
        const std::string name = d.contains("variable") ? d["variable"].value("name", "") : "";
        const auto it = known.find(name);
        json r = {{"attributeStatus", it == known.end() ? "UnknownVariable" : "Accepted"},
                  {"component", d.value("component", json::object())},
                  {"variable", d.value("variable", json::object())}};
        if (it != known.end()) r["attributeValue"] = it->second;
        results.push_back(std::move(r));
    }
    return {{"getVariableResult", results}};
}

void SimStation::count_write(const ocpp::ChargingProfile& p) {
    if (p.purpose == ocpp::ProfilePurpose::Tx) ++writes_.transaction;
    else if (p.id == ocpp::kFallbackProfileId) ++writes_.fallback_layer;
    else ++writes_.station_limit;
}

void SimStation::on_call(const json& frame) {
    const std::string action = frame[2].is_string() ? frame[2].get<std::string>() : "";
    const json& p = frame[3];
    json answer = {{"status", "Accepted"}};
    if (action == "SetChargingProfile") {
        if (v201_) {
            auto req = ocpp::v201::SetChargingProfileRequest::from_json(p);
            if (auto* r = std::get_if<ocpp::v201::SetChargingProfileRequest>(&req)) {
                profiles_.install(r->evse_id, r->profile);
                count_write(r->profile);
            } else {
                answer["status"] = "Rejected";
            }
        } else {
            auto req = ocpp::v16::SetChargingProfileRequest::from_json(p);
            if (auto* r = std::get_if<ocpp::v16::SetChargingProfileRequest>(&req)) {
                profiles_.install(r->connector_id, r->profile);
                count_write(r->profile);
            } else {
                answer["status"] = "Rejected";
            }
        }
    } else if (action == "GetConfiguration" || action == "GetVariables") {
        answer = configuration(action, p);
    } else if (action == "GetCompositeSchedule") {
        // What its profiles allow from now on, as fuseguard verifies it.
        ++writes_.composite_reads;
        const auto version = v201_ ? ocpp::Version::V201 : ocpp::Version::V16;
        auto req = ocpp::GetCompositeScheduleRequest::from_json(p, version);
        if (auto* r = std::get_if<ocpp::GetCompositeScheduleRequest>(&req)) {
            const ocpp::GetCompositeScheduleResponse res{
                "Accepted", profiles_.composite(r->connector, std::chrono::system_clock::now(), tx_start_, r->duration_s,
                                                charger_.max_current_a)};
            answer = res.to_json(version, r->connector);
        } else {
            answer["status"] = "Rejected";
        }
    } else if (action == "SetVariables") {
        json results = json::array();
        for (const auto& d : p.value("setVariableData", json::array()))
            results.push_back({{"attributeStatus", "Accepted"}, {"component", d["component"]}, {"variable", d["variable"]}});
        answer = {{"setVariableResult", results}};
    } else if (action == "UnlockConnector") {
        answer = {{"status", "Unlocked"}};
    } else if (action == "TriggerMessage") {
        // fuseguard asks for meter values after a raise behind a total
        // meter, and for a status after a reconnection that sent none.
        const bool meter_values = p.value("requestedMessage", "") == "MeterValues";
        net::post(io_, [self = shared_from_this(), meter_values] {
            if (meter_values) return self->send_meter_values();
            self->sent_status_.clear();
            self->send_status();
        });
    } else if (action == "Reset") {
        std::cerr << "sim: " << charger_.id << " resets\n";
        net::post(io_, [self = shared_from_this()] {
            self->fault_.reset();
            self->drop(3);
        });
    }
    write(json::array({3, frame[1], answer}).dump());
}

void SimStation::call(const std::string& action, json payload) {
    if (!open_) return;
    const std::string id = charger_.id + "-" + std::to_string(++next_id_);
    awaiting_[id] = action;
    write(json::array({2, id, action, std::move(payload)}).dump());
}

void SimStation::on_result(const json& frame) {
    if (!frame[1].is_string()) return;
    const auto it = awaiting_.find(frame[1].get<std::string>());
    if (it == awaiting_.end()) return;
    if (it->second == "StartTransaction" && frame[2].is_object() && frame[2].contains("transactionId") &&
        frame[2]["transactionId"].is_number_integer())
        tx_id_ = std::to_string(frame[2]["transactionId"].get<long>());
    awaiting_.erase(it);
}

// 1.6: StartTransaction, whose answer names the transaction; 2.0.1: a
// TransactionEvent with an id of the station's own.
void SimStation::send_transaction_start() {
    if (!tx_start_ || tx_reported_ || !open_) return;
    tx_reported_ = true;
    const std::string at = iso8601(*tx_start_);
    if (v201_) {
        tx_id_ = charger_.id + "-tx" + std::to_string(++tx_count_);
        call("TransactionEvent", {{"eventType", "Started"}, {"timestamp", at}, {"triggerReason", "CablePluggedIn"},
                                  {"seqNo", 0}, {"transactionInfo", {{"transactionId", tx_id_}}}, {"evse", {{"id", 1}, {"connectorId", 1}}}});
    } else {
        call("StartTransaction", {{"connectorId", 1}, {"idTag", "SIM"}, {"meterStart", 0}, {"timestamp", at}});
    }
}

void SimStation::send_transaction_stop() {
    if (!tx_reported_ || !open_) return;
    const std::string at = iso8601(std::chrono::system_clock::now());
    if (v201_)
        call("TransactionEvent", {{"eventType", "Ended"}, {"timestamp", at}, {"triggerReason", "EVCommunicationLost"},
                                  {"seqNo", 1}, {"transactionInfo", {{"transactionId", tx_id_}, {"stoppedReason", "EVDisconnected"}}},
                                  {"evse", {{"id", 1}, {"connectorId", 1}}}});
    else if (!tx_id_.empty())
        call("StopTransaction", {{"transactionId", std::stoi(tx_id_)}, {"meterStop", 0}, {"timestamp", at}, {"reason", "EVDisconnected"}});
}

void SimStation::write(std::string text) {
    if (!open_) return;
    out_.push_back(std::move(text));
    if (!writing_) do_write();
}

void SimStation::do_write() {
    if (out_.empty() || !open_) return;
    writing_ = true;
    ws_->text(true);
    ws_->async_write(net::buffer(out_.front()), [self = shared_from_this()](beast::error_code ec, std::size_t) {
        self->writing_ = false;
        if (ec) return;
        if (!self->out_.empty()) self->out_.pop_front();
        self->do_write();
    });
}

double SimStation::terminal_current() const {
    if (!car_ || (fault_ && kFaults[*fault_].faulted)) return 0;
    // What its profiles allow; with none (never managed) what it is
    // configured to do alone.
    const auto held = profiles_.limit_at(1, std::chrono::system_clock::now(), tx_start_);
    const double allowed = held ? *held : charger_.fallback_current_a.value_or(charger_.max_current_a);
    if (allowed < 6) return 0;
    return std::min(allowed, car_max_a_) * 0.97;
}

std::array<double, 3> SimStation::site_draw() const {
    const double a = terminal_current();
    std::array<double, 3> out{};
    for (auto p : policy::kAllPhases)
        if (phases_.contains(p)) out[policy::index(p)] = a;
    return out;
}

void SimStation::send_status() {
    std::string status = "Available";
    if (car_) status = terminal_current() > 0 ? "Charging" : "SuspendedEVSE";
    if (fault_ && kFaults[*fault_].faulted) status = "Faulted";
    if (v201_) {
        // 2.0.1 only knows Available / Occupied / Faulted for a connector.
        const std::string s201 = status == "Faulted" ? "Faulted" : car_ ? "Occupied" : "Available";
        if (s201 == sent_status_) return;
        sent_status_ = s201;
        call("StatusNotification", {{"timestamp", iso8601(std::chrono::system_clock::now())}, {"connectorStatus", s201}, {"evseId", 1}, {"connectorId", 1}});
        return;
    }
    const std::string key = status + (fault_ ? kFaults[*fault_].code : "NoError");
    if (key == sent_status_) return;
    sent_status_ = key;
    json p = {{"connectorId", 1}, {"status", status}, {"errorCode", fault_ ? kFaults[*fault_].code : "NoError"}};
    if (fault_ && *kFaults[*fault_].vendor) p["vendorErrorCode"] = kFaults[*fault_].vendor;
    call("StatusNotification", p);
}

void SimStation::send_fault(bool raise) {
    const Fault& f = kFaults[*fault_];
    if (!v201_) return send_status();
    json e = {{"eventId", next_id_ + 1},
              {"timestamp", iso8601(std::chrono::system_clock::now())},
              {"trigger", "Alerting"},
              {"actualValue", raise ? "true" : "false"},
              {"eventNotificationType", "HardWiredNotification"},
              {"component", {{"name", f.component}, {"evse", {{"id", 1}}}}},
              {"variable", {{"name", "Problem"}}}};
    if (*f.vendor) e["techCode"] = f.vendor;
    e["techInfo"] = f.code;
    call("NotifyEvent", {{"generatedAt", iso8601(std::chrono::system_clock::now())}, {"seqNo", 0}, {"eventData", json::array({e})}});
    send_status();
}

void SimStation::send_meter_values() {
    const double a = terminal_current();
    json sampled = json::array();
    const char* names[] = {"L1", "L2", "L3"};
    for (int i = 0; i < charger_.phases; ++i) {
        char value[16];
        std::snprintf(value, sizeof value, "%.1f", a);
        if (v201_) sampled.push_back({{"value", std::round(a * 10) / 10}, {"measurand", "Current.Import"}, {"phase", names[i]}, {"unitOfMeasure", {{"unit", "A"}}}});
        else sampled.push_back({{"value", value}, {"measurand", "Current.Import"}, {"phase", names[i]}, {"unit", "A"}});
    }
    json mv = json::array({{{"timestamp", iso8601(std::chrono::system_clock::now())}, {"sampledValue", sampled}}});
    if (v201_) call("MeterValues", {{"evseId", 1}, {"meterValue", mv}});
    else call("MeterValues", {{"connectorId", 1}, {"meterValue", mv}});
}

void SimStation::tick() {
    if (!open_) {
        if (offline_for_s_ > 0 && (offline_for_s_ -= 1) <= 0) do_connect();
    }
    // The car comes and goes whether or not fuseguard can see it.
    if (!car_ && chance(cfg_.arrive_every_s)) {
        car_ = true;
        car_max_a_ = uniform(cfg_.ev_max_a.min, cfg_.ev_max_a.max);
        car_left_s_ = uniform(cfg_.stay_s.min, cfg_.stay_s.max);
        since_meter_s_ = 9;  // report soon after it starts
        tx_start_ = std::chrono::system_clock::now();
        tx_reported_ = false;
        tx_id_.clear();
        send_transaction_start();
    } else if (car_ && (car_left_s_ -= 1) <= 0) {
        car_ = false;
        send_transaction_stop();
        tx_start_.reset();
        tx_reported_ = false;
        profiles_.transaction_ended(1);
    }
    if (fault_) {
        if ((fault_left_s_ -= 1) <= 0) {
            if (open_) send_fault(false);
            fault_.reset();
            sent_status_.clear();
        }
    } else if (chance(cfg_.fault_every_s)) {
        fault_ = std::uniform_int_distribution<std::size_t>(0, std::size(kFaults) - 1)(rng_);
        fault_left_s_ = uniform(cfg_.fault_s.min, cfg_.fault_s.max);
        if (open_) send_fault(true);
    }
    if (open_ && chance(cfg_.drop_every_s)) return drop(uniform(cfg_.drop_s.min, cfg_.drop_s.max));
    if (!open_) return;
    send_status();
    if (++since_meter_s_ >= 10) {
        since_meter_s_ = 0;
        send_meter_values();
    }
}

}  // namespace fuseguard::sim
