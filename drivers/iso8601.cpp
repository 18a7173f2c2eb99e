#include "iso8601.hpp"

#include <cstdio>
#include <ctime>

namespace fuseguard {

std::string iso8601(std::chrono::system_clock::time_point t, bool milliseconds) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    const std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[96];
    if (milliseconds)
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                      tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
    else
        std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::optional<std::chrono::system_clock::time_point> parse_iso8601(std::string_view text) {
    // YYYY-MM-DDTHH:MM:SS, optional fraction, then Z or +HH:MM / -HH:MM.
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    int used = 0;
    const std::string s(text.substr(0, 64));
    if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute, &second, &used) != 6 ||
        used != 19)
        return std::nullopt;
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
    std::size_t pos = static_cast<std::size_t>(used);
    double fraction = 0;
    if (pos < s.size() && s[pos] == '.') {
        double scale = 0.1;
        ++pos;
        if (pos >= s.size() || s[pos] < '0' || s[pos] > '9') return std::nullopt;
        for (; pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; ++pos, scale /= 10) fraction += (s[pos] - '0') * scale;
    }
    long offset_s = 0;
    if (pos < s.size() && s[pos] == 'Z') {
        ++pos;
    } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
        int oh = 0, om = 0, n = 0;
        if (std::sscanf(s.c_str() + pos + 1, "%2d:%2d%n", &oh, &om, &n) != 2 || n != 5 || oh > 23 || om > 59)
            return std::nullopt;
        offset_s = (oh * 3600L + om * 60L) * (s[pos] == '+' ? 1 : -1);
        pos += 6;
    } else {
        return std::nullopt;  // a time without its zone means nothing to compare
    }
    if (pos != s.size() || text.size() > 64) return std::nullopt;
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    // The system clock counts nanoseconds: only the years 1678 to 2262 fit,
    // and a CSMS may well send 9999-12-31 for "never". Times beyond 1900 and
    // 2200 are kept at those bounds, which mean the same here.
    constexpr std::time_t kEarliest = -2208988800;  // 1900-01-01T00:00:00Z
    constexpr std::time_t kLatest = 7258118400;     // 2200-01-01T00:00:00Z
    const std::time_t t = timegm(&tm) - offset_s;
    if (t < kEarliest) return std::chrono::system_clock::from_time_t(kEarliest);
    if (t > kLatest) return std::chrono::system_clock::from_time_t(kLatest);
    return std::chrono::system_clock::from_time_t(t) +
           std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::duration<double>(fraction));
}

}  // namespace fuseguard
