#pragma once
// Typed access to a YAML tree that records every problem as a Diagnostic
// with the file, line and column of the offending key or value.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config.hpp"
#include "diagnostic.hpp"

namespace fuseguard::config {

enum class Bound { Any, NonNegative, Positive };

class Reader {
public:
    Reader(std::string file, std::vector<Diagnostic>& errors, std::vector<Diagnostic>& warnings)
        : file_(std::move(file)), errors_(errors), warnings_(warnings) {}

    static SourceMark mark_of(const YAML::Node& n);
    void error(SourceMark at, const std::string& key, std::string message);
    void warning(SourceMark at, const std::string& key, std::string message);
    std::size_t error_count() const { return errors_.size(); }
    // For checks made after reading: the place of `key`'s value, or of the
    // nearest enclosing section when the key was not written (a default).
    SourceMark at(std::string key) const;
    void fail(const std::string& key, std::string message) { error(at(key), key, std::move(message)); }
    void warn(const std::string& key, std::string message) { warning(at(key), key, std::move(message)); }

    // True if `node` is a mapping whose keys are all in `allowed` (each
    // once). Reports what is not, naming the nearest allowed key.
    bool map(const YAML::Node& node, const std::string& path, std::initializer_list<std::string_view> allowed);
    bool sequence(const YAML::Node& node, const std::string& path);

    struct Entry {
        YAML::Node key;
        YAML::Node value;
        SourceMark mark;  // of the value, or of the key when the value is empty
    };
    std::optional<Entry> find(const YAML::Node& map, std::string_view name) const;
    void missing(const YAML::Node& map, const std::string& path, std::string_view name, std::string_view what);

    // Each getter leaves `out` untouched when the key is absent or wrong, so
    // defaults are simply the value `out` had. `required` reports absence.
    bool number(const YAML::Node& map, const std::string& path, std::string_view name, double& out, Bound bound,
                bool required = false);
    bool number(const YAML::Node& map, const std::string& path, std::string_view name, std::optional<double>& out,
                Bound bound);
    bool integer(const YAML::Node& map, const std::string& path, std::string_view name, int& out, long lo, long hi,
                 bool required = false);
    bool text(const YAML::Node& map, const std::string& path, std::string_view name, std::string& out,
              bool required = false);
    bool text(const YAML::Node& map, const std::string& path, std::string_view name,
              std::optional<std::string>& out);
    bool boolean(const YAML::Node& map, const std::string& path, std::string_view name, bool& out);
    // One of `choices`; returns its index.
    std::optional<std::size_t> choice(const YAML::Node& map, const std::string& path, std::string_view name,
                                      std::initializer_list<std::string_view> choices, bool required = false);

private:
    void remember(const std::string& key, SourceMark m) { marks_.emplace(key, m); }
    std::optional<std::string> scalar(const Entry& e, const std::string& key, std::string_view expected);
    std::string file_;
    std::vector<Diagnostic>& errors_;
    std::vector<Diagnostic>& warnings_;
    std::map<std::string, SourceMark> marks_;
};

std::string join_key(const std::string& path, std::string_view name);
std::string indexed_key(const std::string& path, std::size_t i);
// The word for a key's unit: "amperes" for `_a`, "seconds" for `_s`.
std::string_view unit_of(std::string_view name);

}  // namespace fuseguard::config
