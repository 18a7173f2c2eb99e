// call_result_id (rpc.hpp): a SAX pass over the frame that keeps its first
// two elements and the shape of the third, and builds nothing else.
#include "rpc.hpp"

namespace fuseguard::ocpp {

namespace {

using json = nlohmann::json;

class CallResultPeek : public json::json_sax_t {
public:
    bool null() override { return value(Kind::Other); }
    bool boolean(bool) override { return value(Kind::Other); }
    bool number_integer(number_integer_t n) override {
        if (depth_ == 1 && index_ == 0) type_ = n;
        return value(Kind::Other);
    }
    bool number_unsigned(number_unsigned_t n) override {
        if (depth_ == 1 && index_ == 0 && n <= 4) type_ = static_cast<number_integer_t>(n);
        return value(Kind::Other);
    }
    bool number_float(number_float_t, const string_t&) override { return value(Kind::Other); }
    bool string(string_t& s) override {
        if (depth_ == 1 && index_ == 1) id_ = s;
        return value(Kind::String);
    }
    bool binary(binary_t&) override { return false; }
    bool start_object(std::size_t) override { return open(Kind::Object); }
    bool key(string_t&) override { return true; }
    bool end_object() override { return close(); }
    bool start_array(std::size_t) override { return open(Kind::Array); }
    bool end_array() override { return close(); }
    bool parse_error(std::size_t, const std::string&, const json::exception&) override { return false; }

    // [3, "<1 to 36 characters>", {...}] and nothing else.
    bool is_call_result() const {
        return top_is_array_ && elements_ == 3 && type_ == 3 && id_ && !id_->empty() && id_->size() <= 36 &&
               third_is_object_;
    }
    std::string& id() { return *id_; }

private:
    enum class Kind { Other, String, Object, Array };

    // An element of the top-level array begins (depth 1) or a nested value
    // is met; only the top level's elements are counted.
    void element(Kind kind) {
        if (depth_ == 0) {
            top_is_array_ = kind == Kind::Array;
            return;
        }
        if (depth_ != 1) return;
        if (index_ == 1 && kind != Kind::String) id_.reset();
        if (index_ == 2) third_is_object_ = kind == Kind::Object;
    }
    bool value(Kind kind) {
        element(kind);
        if (depth_ == 1) ++index_, ++elements_;
        return true;
    }
    bool open(Kind kind) {
        element(kind);
        ++depth_;
        return true;
    }
    bool close() {
        if (--depth_ == 1) ++index_, ++elements_;
        return true;
    }

    int depth_ = 0;
    std::size_t index_ = 0, elements_ = 0;
    bool top_is_array_ = false, third_is_object_ = false;
    std::optional<number_integer_t> type_;
    std::optional<std::string> id_;
};

}  // namespace

std::optional<std::string> call_result_id(std::string_view text) {
    if (text.size() > kMaxFrameBytes) return std::nullopt;
    CallResultPeek peek;
    if (!json::sax_parse(text, &peek) || !peek.is_call_result()) return std::nullopt;
    return std::move(peek.id());
}

}  // namespace fuseguard::ocpp
