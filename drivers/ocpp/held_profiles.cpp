#include "held_profiles.hpp"

#include <algorithm>

#include "drivers/iso8601.hpp"

namespace fuseguard::ocpp {

using WallTime = HeldProfiles::WallTime;

std::optional<double> value_at(const ChargingProfile& p, WallTime now, std::optional<WallTime> transaction_start) {
    if (p.valid_from) {
        const auto from = parse_iso8601(*p.valid_from);
        if (!from || now < *from) return std::nullopt;
    }
    if (p.valid_to) {
        const auto to = parse_iso8601(*p.valid_to);
        if (!to || now >= *to) return std::nullopt;
    }
    WallTime start = now;  // Relative with no transaction: the schedule begins now
    if (p.kind == ProfileKind::Relative) {
        if (transaction_start) start = *transaction_start;
    } else {
        const auto s = p.start_schedule ? parse_iso8601(*p.start_schedule) : std::nullopt;
        if (!s) return std::nullopt;
        start = *s;
        if (p.kind == ProfileKind::Recurring && now >= start) {
            const auto period = std::chrono::hours(p.recurrency_kind == "Weekly" ? 7 * 24 : 24);
            start += (now - start) / period * period;
        }
    }
    if (now < start) return std::nullopt;
    const auto offset_s = std::chrono::duration_cast<std::chrono::seconds>(now - start).count();
    if (p.duration_s && offset_s >= *p.duration_s) return std::nullopt;
    std::optional<double> value;
    for (const auto& period : p.periods)
        if (period.start_s <= offset_s) value = period.limit_a;
    return value;
}

void HeldProfiles::install(int connector, const ChargingProfile& p) {
    std::erase_if(held_, [&](const Held& h) {
        return h.profile.id == p.id ||
               (h.connector == connector && h.profile.purpose == p.purpose && h.profile.stack_level == p.stack_level);
    });
    held_.push_back({connector, p});
}

int HeldProfiles::clear(std::optional<int> id, std::optional<int> connector, std::optional<ProfilePurpose> purpose,
                        std::optional<int> stack_level) {
    return static_cast<int>(std::erase_if(held_, [&](const Held& h) {
        if (id) return h.profile.id == *id;  // an id alone says which
        return (!connector || h.connector == *connector) && (!purpose || h.profile.purpose == *purpose) &&
               (!stack_level || h.profile.stack_level == *stack_level);
    }));
}

void HeldProfiles::transaction_ended(int connector) {
    std::erase_if(held_, [&](const Held& h) { return h.connector == connector && h.profile.purpose == ProfilePurpose::Tx; });
}

std::optional<double> HeldProfiles::layer(ProfilePurpose purpose, int connector, WallTime now,
                                          std::optional<WallTime> transaction_start) const {
    const Held* best = nullptr;
    std::optional<double> value;
    for (const auto& h : held_) {
        if (h.connector != connector || h.profile.purpose != purpose) continue;
        if (best && h.profile.stack_level <= best->profile.stack_level) continue;
        if (auto v = value_at(h.profile, now, transaction_start)) {
            best = &h;
            value = v;
        }
    }
    return value;
}

std::optional<double> HeldProfiles::limit_at(int connector, WallTime now, std::optional<WallTime> transaction_start) const {
    std::optional<double> tx;
    if (transaction_start) tx = layer(ProfilePurpose::Tx, connector, now, transaction_start);
    if (!tx) tx = layer(ProfilePurpose::TxDefault, connector, now, transaction_start);
    if (!tx && connector != 0) tx = layer(ProfilePurpose::TxDefault, 0, now, transaction_start);
    const auto max = layer(ProfilePurpose::ChargePointMax, 0, now, transaction_start);
    if (tx && max) return std::min(*tx, *max);
    return tx ? tx : max;
}

CompositeSchedule HeldProfiles::composite(int connector, WallTime now, std::optional<WallTime> transaction_start,
                                          int duration_s, double capacity) const {
    CompositeSchedule c;
    c.schedule_start = iso8601(now);
    c.duration_s = duration_s;
    for (int t = 0; t < std::max(duration_s, 1); ++t) {
        const double v = limit_at(connector, now + std::chrono::seconds(t), transaction_start).value_or(capacity);
        if (c.periods.empty() || c.periods.back().limit_a != v) c.periods.push_back(SchedulePeriod{t, v, std::nullopt});
    }
    return c;
}

}  // namespace fuseguard::ocpp
