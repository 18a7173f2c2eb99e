#include "reader.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace fuseguard::config {

std::string join_key(const std::string& path, std::string_view name) {
    return path.empty() ? std::string(name) : path + "." + std::string(name);
}

std::string indexed_key(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

std::string_view unit_of(std::string_view name) {
    if (name.ends_with("_a")) return "amperes";
    if (name.ends_with("_s")) return "seconds";
    return "";
}

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

std::string list(std::initializer_list<std::string_view> items) {
    std::string out;
    for (auto s : items) {
        if (!out.empty()) out += ", ";
        out += s;
    }
    return out;
}

std::string kind_of(const YAML::Node& n) {
    switch (n.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Null: return "nothing";
    case YAML::NodeType::Scalar: return "'" + n.Scalar() + "'";
    default: return "nothing";
    }
}

}  // namespace

SourceMark Reader::mark_of(const YAML::Node& n) {
    const YAML::Mark m = n.Mark();
    if (m.line < 0) return {};
    return {m.line + 1, m.column + 1};
}

void Reader::error(SourceMark at, const std::string& key, std::string message) {
    errors_.push_back({Severity::Error, file_, at.line, at.column, key, std::move(message)});
}

void Reader::warning(SourceMark at, const std::string& key, std::string message) {
    warnings_.push_back({Severity::Warning, file_, at.line, at.column, key, std::move(message)});
}

SourceMark Reader::at(std::string key) const {
    while (true) {
        if (auto it = marks_.find(key); it != marks_.end()) return it->second;
        const std::size_t cut = key.find_last_of(".[");
        if (cut == std::string::npos || cut == 0) return {};
        key.resize(cut);
    }
}

bool Reader::map(const YAML::Node& node, const std::string& path, std::initializer_list<std::string_view> allowed) {
    remember(path, mark_of(node));
    if (!node.IsMap()) {
        error(mark_of(node), path, "expected a mapping with keys " + list(allowed) + ", got " + kind_of(node));
        return false;
    }
    bool ok = true;
    std::vector<std::string> seen;
    // Iterating a yaml-cpp map yields a temporary pair: copy the key handle
    // out of it rather than keep a reference into it.
    for (const auto& kv : node) {
        const YAML::Node k = kv.first;
        if (!k.IsScalar()) {
            error(mark_of(k), path, "keys must be plain names");
            ok = false;
            continue;
        }
        const std::string& name = k.Scalar();
        if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
            error(mark_of(k), join_key(path, name), "duplicate key");
            ok = false;
            continue;
        }
        seen.push_back(name);
        if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) continue;
        std::string msg = "unknown key";
        std::string_view nearest;
        std::size_t best = 3;
        for (auto a : allowed) {
            std::size_t d = edit_distance(name, a);
            if (d < best) best = d, nearest = a;
        }
        if (!nearest.empty()) msg += " (did you mean '" + std::string(nearest) + "'?)";
        msg += "; expected one of " + list(allowed);
        error(mark_of(k), join_key(path, name), msg);
        ok = false;
    }
    return ok;
}

bool Reader::sequence(const YAML::Node& node, const std::string& path) {
    remember(path, mark_of(node));
    if (node.IsSequence()) return true;
    error(mark_of(node), path, "expected a list, got " + kind_of(node));
    return false;
}

std::optional<Reader::Entry> Reader::find(const YAML::Node& map, std::string_view name) const {
    if (!map.IsMap()) return std::nullopt;
    for (const auto& kv : map) {
        const YAML::Node key = kv.first, value = kv.second;
        if (key.IsScalar() && key.Scalar() == name) {
            SourceMark m = mark_of(value);
            if (m.line == 0 || value.IsNull()) m = mark_of(key);
            return Entry{key, value, m};
        }
    }
    return std::nullopt;
}

void Reader::missing(const YAML::Node& map, const std::string& path, std::string_view name, std::string_view what) {
    error(mark_of(map), join_key(path, name), "missing; expected " + std::string(what));
}

std::optional<std::string> Reader::scalar(const Entry& e, const std::string& key, std::string_view expected) {
    remember(key, e.mark);
    if (!e.value.IsScalar()) {
        error(e.mark, key, "expected " + std::string(expected) + ", got " + kind_of(e.value));
        return std::nullopt;
    }
    return e.value.Scalar();
}

bool Reader::number(const YAML::Node& map, const std::string& path, std::string_view name, double& out, Bound bound,
                    bool required) {
    std::string key = join_key(path, name);
    std::string unit(unit_of(name));
    std::string what = std::string(bound == Bound::Positive      ? "a positive number"
                                   : bound == Bound::NonNegative ? "a number >= 0"
                                                                 : "a number") +
                       (unit.empty() ? "" : " of " + unit);
    auto e = find(map, name);
    if (!e) {
        if (required) missing(map, path, name, what);
        return false;
    }
    auto s = scalar(*e, key, what);
    if (!s) return false;
    errno = 0;
    char* end = nullptr;
    double v = std::strtod(s->c_str(), &end);
    if (s->empty() || end != s->c_str() + s->size() || errno == ERANGE || !std::isfinite(v)) {
        error(e->mark, key, "expected " + what + ", got '" + *s + "'");
        return false;
    }
    if ((bound == Bound::Positive && v <= 0) || (bound == Bound::NonNegative && v < 0)) {
        error(e->mark, key, "expected " + what + ", got " + *s);
        return false;
    }
    out = v;
    return true;
}

bool Reader::number(const YAML::Node& map, const std::string& path, std::string_view name,
                    std::optional<double>& out, Bound bound) {
    double v = 0;
    if (!number(map, path, name, v, bound)) return false;
    out = v;
    return true;
}

bool Reader::integer(const YAML::Node& map, const std::string& path, std::string_view name, int& out, long lo,
                     long hi, bool required) {
    std::string key = join_key(path, name);
    std::string what = "a whole number from " + std::to_string(lo) + " to " + std::to_string(hi);
    auto e = find(map, name);
    if (!e) {
        if (required) missing(map, path, name, what);
        return false;
    }
    auto s = scalar(*e, key, what);
    if (!s) return false;
    errno = 0;
    char* end = nullptr;
    long v = std::strtol(s->c_str(), &end, 10);
    if (s->empty() || end != s->c_str() + s->size() || errno == ERANGE || v < lo || v > hi) {
        error(e->mark, key, "expected " + what + ", got '" + *s + "'");
        return false;
    }
    out = static_cast<int>(v);
    return true;
}

bool Reader::text(const YAML::Node& map, const std::string& path, std::string_view name, std::string& out,
                  bool required) {
    std::string key = join_key(path, name);
    auto e = find(map, name);
    if (!e) {
        if (required) missing(map, path, name, "a text value");
        return false;
    }
    auto s = scalar(*e, key, "a text value");
    if (!s) return false;
    if (s->empty()) {
        error(e->mark, key, "expected a text value, got an empty one");
        return false;
    }
    out = *s;
    return true;
}

bool Reader::text(const YAML::Node& map, const std::string& path, std::string_view name,
                  std::optional<std::string>& out) {
    std::string v;
    if (!text(map, path, name, v)) return false;
    out = v;
    return true;
}

bool Reader::boolean(const YAML::Node& map, const std::string& path, std::string_view name, bool& out) {
    std::string key = join_key(path, name);
    auto e = find(map, name);
    if (!e) return false;
    auto s = scalar(*e, key, "true or false");
    if (!s) return false;
    if (*s == "true") out = true;
    else if (*s == "false") out = false;
    else {
        error(e->mark, key, "expected true or false, got '" + *s + "'");
        return false;
    }
    return true;
}

std::optional<std::size_t> Reader::choice(const YAML::Node& map, const std::string& path, std::string_view name,
                                          std::initializer_list<std::string_view> choices, bool required) {
    std::string key = join_key(path, name);
    std::string what = "one of " + list(choices);
    auto e = find(map, name);
    if (!e) {
        if (required) missing(map, path, name, what);
        return std::nullopt;
    }
    auto s = scalar(*e, key, what);
    if (!s) return std::nullopt;
    std::size_t i = 0;
    for (auto c : choices) {
        if (c == *s) return i;
        ++i;
    }
    error(e->mark, key, "expected " + what + ", got '" + *s + "'");
    return std::nullopt;
}

}  // namespace fuseguard::config
