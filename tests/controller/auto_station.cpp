#include "auto_station.hpp"

#include <boost/asio/post.hpp>

#include <atomic>

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

AutoStation::AutoStation(std::string id, std::uint16_t port) : id_(std::move(id)), ws_(io_) {
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
        write(json::array({2, id_ + "-" + std::to_string(++next_id_), action, payload}).dump());
    });
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
    auto frame = json::parse(text, nullptr, false);
    if (frame.is_discarded() || !frame.is_array() || frame.empty() || frame[0] != 2) return;  // answers: ignored
    const std::string action = frame[2];
    std::string status = "Accepted";
    {
        std::lock_guard lock(mutex_);
        calls_.push_back({++g_seq, id_, action, frame[3]});
        if (auto it = answers_.find(action); it != answers_.end()) status = it->second;
        cv_.notify_all();
    }
    json answer = {{"status", status}};
    if (action == "UnlockConnector" && status == "Accepted") answer["status"] = "Unlocked";
    write(json::array({3, frame[1], answer}).dump());
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
