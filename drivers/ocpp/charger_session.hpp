#pragma once
// One connected charging station (after Boost.Beast's websocket session
// example): do_X/on_X pairs bound to shared_from_this, one outbound queue
// with one write in flight (our CALLs interleave with the CALLRESULTs we
// owe, and pings), one outgoing CALL outstanding at a time.
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "rpc.hpp"

namespace fuseguard::ocpp {

class Server;

class ChargerSession : public std::enable_shared_from_this<ChargerSession> {
public:
    using Answer = std::variant<CallResult, CallError, std::monostate>;  // monostate: timeout or closed
    using Done = std::function<void(const Answer&)>;

    ChargerSession(boost::asio::ip::tcp::socket socket, Server& server, std::string id, Version version);

    void run(boost::beast::http::request<boost::beast::http::empty_body> req);
    // Queues an outgoing CALL; `done` gets the answer.
    void call(std::string action, nlohmann::json payload, Done done);
    // Ends the session (replaced by a newer connection, or shutdown).
    void close(std::string cause);

    const std::string& id() const { return id_; }
    Version version() const { return version_; }

private:
    using Clock = std::chrono::steady_clock;
    struct Outgoing {
        Call frame;
        Done done;
    };

    void on_accept(boost::beast::error_code ec);
    void do_read();
    void on_read(boost::beast::error_code ec, std::size_t bytes);
    void handle(const std::string& text);
    void send(std::string text);
    void do_write();
    void on_write(boost::beast::error_code ec, std::size_t);
    void do_ping();
    void on_ping_timer(boost::beast::error_code ec);
    void do_watch();
    void on_watch(boost::beast::error_code ec);
    void send_next_call();
    void configure();
    void on_call_timeout(boost::beast::error_code ec);
    void finish_call(const Answer& answer);

    // Inbound CALLs, by version (v16_inbound.cpp, v201_inbound.cpp).
    std::variant<nlohmann::json, CallError> dispatch_v16(const Call& call);
    std::variant<nlohmann::json, CallError> dispatch_v201(const Call& call);

    boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
    boost::beast::flat_buffer buffer_;
    Server& server_;
    std::string id_;
    Version version_;
    // Outbound: text frames, or an empty optional for a ping.
    std::deque<std::optional<std::string>> queue_;
    bool writing_ = false;
    boost::asio::steady_timer ping_timer_, watch_timer_, call_timer_, status_timer_;
    bool status_seen_ = false;
    Clock::time_point last_heard_;
    std::deque<Outgoing> calls_;
    std::optional<Outgoing> in_flight_;
    std::uint64_t next_id_ = 1;
    int next_transaction_ = 1;
    bool open_ = false;
    bool closed_ = false;
};

}  // namespace fuseguard::ocpp
