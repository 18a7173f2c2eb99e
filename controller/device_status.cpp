// SiteController, part: what is shown of each device's state: the
// notifications that follow liveness, the failsafe and the limits (SPEC 6),
// and each EVSE's uptime (SPEC 7).
#include "site_controller.hpp"

namespace fuseguard::controller {

using policy::Control;
using policy::DeviceState;

namespace {
bool down_status(const std::string& s) { return s == "Faulted" || s == "Unavailable"; }
}  // namespace

// Liveness notifications follow the state (SPEC 6), each stating what is
// deducted for the device now.
void SiteController::refresh_device_notifications() {
    const auto now = now_wall();
    const auto& st = model_.state;
    const bool grace_over = startup_grace_over();
    for (std::uint32_t i = 0; i < st.stations.size(); ++i) {
        const auto& s = st.stations[i];
        // Every re-plan comes here; most stations have nothing new.
        const auto deduction = policy::station_deduction(s, i, st.settings);
        StationRuntime::NotesFrom from{stations_[i].revision, grace_over, deduction.rule, {}};
        for (auto p : policy::kAllPhases) from.deduction_ma[policy::index(p)] = deduction.current[p].milliamps();
        if (stations_[i].notes_from == from) continue;
        stations_[i].notes_from = from;
        const std::string device = "charger:" + s.id;
        const bool offline = s.state == DeviceState::Offline || (s.state == DeviceState::Unknown && grace_over);
        const auto key = device_key(device, "ChargingStationOffline");
        if (offline) {
            // What it counts for changes while it is away (its last limit, then
            // its fallback): the text follows, `since` stays.
            auto n = device_notification(catalogue_, "ChargingStationOffline", device,
                                         policy::describe(policy::station_deduction(s, i, st.settings), st),
                                         stations_[i].cause, now);
            if (const auto it = board_.active().find(key); it != board_.active().end()) n.since = it->second.since;
            board_.raise(std::move(n));
        } else {
            board_.clear(key);
        }
        // A fallback the station was given but could not be shown to hold.
        const auto fkey = device_key(device, "FallbackUnverified");
        const auto& rt = stations_[i];
        if (s.fallback && rt.failsafe && *rt.failsafe != ocpp::FailsafeVerdict::Verified) {
            const auto it = board_.active().find(fkey);
            if (it == board_.active().end() || it->second.info != rt.failsafe_reason) {
                auto n = device_notification(catalogue_, "FallbackUnverified", device,
                                             policy::describe(policy::station_deduction(s, i, st.settings), st),
                                             rt.failsafe_reason, now);
                n.info = rt.failsafe_reason;
                if (it != board_.active().end()) n.since = it->second.since;
                board_.raise(std::move(n));
            }
        } else {
            board_.clear(fkey);
        }
        // Refusing its limit, or accepting it and drawing above it: raised
        // once with what it was then, cleared when it no longer holds.
        auto limit_note = [&](const char* code, bool active) {
            const auto note_key = device_key(device, code);
            if (!active) {
                board_.clear(note_key);
            } else if (!board_.active().count(note_key)) {
                board_.raise(device_notification(catalogue_, code, device,
                                                 policy::describe(policy::station_deduction(s, i, st.settings), st),
                                                 rt.rejected, now));
            }
        };
        limit_note("LimitRejected", s.state == DeviceState::Online && s.control == Control::Rejected && !rt.limit_ignored);
        limit_note("LimitIgnored", rt.limit_ignored);
        // Its CSMS unreachable while the station is here: the text follows
        // the queue, `since` stays.
        const auto bkey = device_key(device, "BackendOffline");
        if (s.state == DeviceState::Online && rt.backend_link == "offline") {
            const std::string detail = rt.backend_cause + "; " + std::to_string(rt.backend_queued) +
                                       " transaction messages wait for it";
            const auto it = board_.active().find(bkey);
            if (it == board_.active().end() || it->second.info != detail) {
                auto n = device_notification(catalogue_, "BackendOffline", device,
                                             policy::describe(policy::station_deduction(s, i, st.settings), st), detail,
                                             now);
                n.info = detail;
                if (it != board_.active().end()) n.since = it->second.since;
                board_.raise(std::move(n));
            }
        } else {
            board_.clear(bkey);
        }
    }
    auto device_note = [&](const std::string& device, const char* kind, DeviceState state, const std::string& deduction,
                           const std::string& cause) {
        const std::string offline_code = std::string(kind) + "Offline", unknown_code = std::string(kind) + "Unknown";
        const auto off = device_key(device, offline_code), unk = device_key(device, unknown_code);
        if (state != DeviceState::Offline) board_.clear(off);
        if (state != DeviceState::Unknown) board_.clear(unk);
        if (state == DeviceState::Online) return;
        const auto& code = state == DeviceState::Offline ? offline_code : unknown_code;
        if (!board_.active().count(device_key(device, code)))
            board_.raise(device_notification(catalogue_, code, device, deduction, cause, now));
    };
    for (std::size_t i = 0; i < st.meters.size(); ++i) {
        const auto& m = st.meters[i];
        device_note("meter:" + m.id, "Meter", m.state,
                    policy::format(m.fallback) + " per phase (its fallback_a)", meters_[i].cause);
    }
    for (std::size_t i = 0; i < st.ems.size(); ++i) {
        const auto& x = st.ems[i];
        device_note("ems:" + x.id, "EMS", x.state, policy::format(x.fallback) + " per phase (its fallback_a)",
                    ems_[i].cause);
    }
}

// SPEC 7: an EVSE is down while its station is offline (or has not come
// since we started), or while it is Faulted or Unavailable for a cause
// that is not the vehicle's.
void SiteController::refresh_uptime(std::size_t i) {
    const auto& s = model_.state.stations[i];
    const auto& rt = stations_[i];
    const auto now = now_wall();
    const bool offline = s.state == DeviceState::Offline || (s.state == DeviceState::Unknown && startup_grace_over());
    auto category_of = [&](const ConnectorView& c) -> std::optional<std::string> {
        if (!down_status(c.status)) return std::nullopt;
        std::string cat = c.status == "Faulted" ? "other" : "unavailable";
        if (c.error_code != "NoError" && !c.error_code.empty())
            if (auto category = catalogue_.error_category(c.error_code, c.vendor_error_code)) cat = *category;
        if (cat == "ev_handshake" || cat == "none") return std::nullopt;  // the vehicle's, not the station's
        return cat;
    };
    std::optional<std::string> whole;  // connector 0 speaks for the station
    if (offline) whole = "communication";
    else if (auto it = rt.connectors.find(0); it != rt.connectors.end()) whole = category_of(it->second);
    for (int evse : uptime_.evses(s.id)) {
        std::optional<std::string> cat = whole;
        if (!cat)
            if (auto it = rt.connectors.find(evse); it != rt.connectors.end()) cat = category_of(it->second);
        // Published at once, not at the next periodic uptime refresh.
        if (uptime_.set(s.id, evse, cat, now)) ++stations_[i].revision;
    }
}

}  // namespace fuseguard::controller
