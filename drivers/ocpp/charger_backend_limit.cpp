// The CSMS's charging profiles (fuseguard as local controller, SPEC 3 and
// docs/ocpp.md "Local controller"): kept here as the station would keep
// them, never sent on; what they allow the station now goes to the
// controller as an upper bound. The station holds only fuseguard's profiles,
// so a CSMS profile can neither raise it past the fuse nor replace its
// failsafe (same purpose and stack level replace each other in OCPP).
#include <cmath>
#include <limits>

#include "charger_session.hpp"
#include "drivers/log.hpp"
#include "server.hpp"
#include "v16/set_charging_profile.hpp"
#include "v201/set_charging_profile.hpp"

namespace fuseguard::ocpp {

namespace {

// A schedule in watts becomes amperes at this voltage per phase, on the
// period's numberPhases (3 when not given, as OCPP says).
constexpr double kNominalVoltage = 230;
// Schedules move with time: what they allow is looked at again this often.
constexpr auto kBackendLimitRecheck = std::chrono::seconds(10);

std::optional<ProfilePurpose> purpose_named(const std::string& name) {
    if (name == "ChargePointMaxProfile" || name == "ChargingStationMaxProfile") return ProfilePurpose::ChargePointMax;
    if (name == "TxDefaultProfile") return ProfilePurpose::TxDefault;
    if (name == "TxProfile") return ProfilePurpose::Tx;
    return std::nullopt;
}

std::optional<int> integer_at(const nlohmann::json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_number_integer() ? std::optional(it->get<int>()) : std::nullopt;
}

}  // namespace

void ChargerSession::take_backend_profile(const Call& call) {
    int connector = 0;
    ChargingProfile profile;
    std::optional<PayloadError> error;
    auto take = [&](auto parsed, auto connector_of) {
        if (auto* e = std::get_if<PayloadError>(&parsed)) return void(error = *e);
        auto& request = std::get<0>(parsed);
        connector = connector_of(request);
        profile = std::move(request.profile);
    };
    if (version_ == Version::V16)
        take(v16::SetChargingProfileRequest::from_json(call.payload), [](const auto& r) { return r.connector_id; });
    else
        take(v201::SetChargingProfileRequest::from_json(call.payload), [](const auto& r) { return r.evse_id; });
    if (error) {
        log::warning("ocpp: " + id_ + ": the CSMS sent a SetChargingProfile we cannot read: " + error->description);
        send_to_backend(serialize(Frame{CallError{call.id, error->code, error->description, {}}}, version_));
        return;
    }
    const bool usable = !(profile.purpose == ProfilePurpose::Tx && connector == 0) &&
                        !(profile.purpose == ProfilePurpose::ChargePointMax && connector != 0) && !profile.periods.empty();
    if (!usable) {
        send_to_backend(serialize(Frame{CallResult{call.id, {{"status", "Rejected"}}}}, version_));
        return;
    }
    if (profile.rate_unit == "W") {
        for (auto& p : profile.periods) p.limit_a /= kNominalVoltage * p.number_phases.value_or(3);
        profile.rate_unit = "A";
    }
    server_.backend_profiles(id_).install(connector, profile);
    log::info("ocpp: " + id_ + ": the CSMS set profile " + std::to_string(profile.id) + " (" +
              std::string(name(profile.purpose, version_)) + ", connector " + std::to_string(connector) +
              "): an upper bound for this station");
    send_to_backend(serialize(Frame{CallResult{call.id, {{"status", "Accepted"}}}}, version_));
    report_backend_limit();
}

void ChargerSession::clear_backend_profiles(const Call& call) {
    const auto& p = call.payload;
    if (!p.is_object()) {
        send_to_backend(serialize(
            Frame{CallError{call.id, ErrorCode::FormationViolation, "the payload must be an object", {}}}, version_));
        return;
    }
    std::optional<int> id, connector, stack_level;
    std::optional<ProfilePurpose> purpose;
    std::string purpose_name;
    const nlohmann::json* criteria = &p;
    if (version_ == Version::V16) {
        id = integer_at(p, "id");
        connector = integer_at(p, "connectorId");
    } else {
        id = integer_at(p, "chargingProfileId");
        const auto it = p.find("chargingProfileCriteria");
        criteria = it != p.end() && it->is_object() ? &*it : nullptr;
        if (criteria) connector = integer_at(*criteria, "evseId");
    }
    if (criteria) {
        stack_level = integer_at(*criteria, "stackLevel");
        const auto it = criteria->find("chargingProfilePurpose");
        if (it != criteria->end() && it->is_string()) purpose_name = it->get<std::string>();
        purpose = purpose_named(purpose_name);
    }
    // A purpose fuseguard does not keep (2.0.1 external constraints) matches nothing.
    const int removed = !purpose_name.empty() && !purpose
                            ? 0
                            : server_.backend_profiles(id_).clear(id, connector, purpose, stack_level);
    send_to_backend(
        serialize(Frame{CallResult{call.id, {{"status", removed > 0 ? "Accepted" : "Unknown"}}}}, version_));
    if (removed > 0) report_backend_limit();
}

std::optional<double> ChargerSession::backend_limit_now() const {
    const auto& held = server_.backend_profiles(id_);
    if (held.empty()) return std::nullopt;
    const auto now = std::chrono::system_clock::now();
    const auto steady_now = Clock::now();
    // Each connector in use gets what the profiles allow it; idle, the
    // first connector stands for the station.
    double sum = 0;
    bool bounded = true;
    auto add = [&](int connector, std::optional<HeldProfiles::WallTime> start) {
        const auto v = held.limit_at(connector, now, start);
        if (v) sum += *v;
        else bounded = false;
    };
    for (const auto& [connector, tx] : transactions_)
        add(connector, now - std::chrono::duration_cast<std::chrono::system_clock::duration>(steady_now - tx.started));
    if (transactions_.empty()) add(1, std::nullopt);
    const auto max = held.station_max_at(now);
    if (bounded && max) return std::min(sum, *max);
    if (bounded) return sum;
    return max;
}

void ChargerSession::report_backend_limit() {
    if (closed_ || backend_state_ == BackendState::None) return;
    Relay& r = relay();
    const auto limit = backend_limit_now();
    r.backend_limit_timer.cancel();
    if (!server_.backend_profiles(id_).empty()) {
        r.backend_limit_timer.expires_after(kBackendLimitRecheck);
        r.backend_limit_timer.async_wait([s = self()](boost::system::error_code ec) {
            if (!ec) s->report_backend_limit();
        });
    }
    const bool same = r.backend_limit_reported && r.backend_limit.has_value() == limit.has_value() &&
                      (!limit || std::abs(*limit - *r.backend_limit) < 0.05);
    if (same) return;
    r.backend_limit = limit;
    r.backend_limit_reported = true;
    server_.emit(BackendLimitChanged{id_, limit});
}

}  // namespace fuseguard::ocpp
