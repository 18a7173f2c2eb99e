#pragma once
// What the HTTP server answers, as a function of the request and of what
// the routes are given: the dashboard's files, the state as JSON, /metrics,
// the start of an event stream, the login, and an operator's command. Kept
// apart from the session so that every answer can be tested without a socket.
#include <boost/beast/http.hpp>

#include <functional>
#include <string>
#include <variant>

#include "logins.hpp"
#include "state_board.hpp"

namespace fuseguard::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

// The bodies a request may carry (a login, a command's arguments).
constexpr std::size_t kBodyLimit = 4096;

// An operator's command from the page: POST /api/chargers/<station>/<action>
// with the same JSON arguments as the MQTT command (SPEC 8).
struct CommandCall {
    std::string station;
    std::string action;
    std::string payload;
    std::string user;  // who asked, for the log
};
// Its answer: the status (Accepted, Rejected, Timeout, Offline, Invalid) and
// the JSON object MQTT would have carried on `.../result`.
struct CommandOutcome {
    std::string status;
    std::string payload;
};

struct Routes {
    StateBoard* board = nullptr;              // null: no dashboard
    std::function<std::string()> metrics = {};  // empty: no /metrics
    Logins* logins = nullptr;                 // null: no login, so no commands
    // Runs the command; `done` is called once, later, on the loop.
    std::function<void(CommandCall, std::function<void(CommandOutcome)> done)> command = {};
    // Runs `work` away from the loop (a password check takes tens of ms) and
    // hands its result to `done` on the loop.
    std::function<void(std::function<bool()> work, std::function<void(bool)> done)> offload = {};
    std::function<Logins::Clock::time_point()> now = [] { return Logins::Clock::now(); };
};

// The request asks for the live event stream (GET /events with a board).
struct OpenEventStream {};
// The answer comes later: `start` is called once with where to send it.
struct Deferred {
    std::function<void(std::function<void(Response)> reply)> start;
};

using Answer = std::variant<Response, OpenEventStream, Deferred>;
Answer answer(const Request& req, const Routes& routes);

// An answer to a request that could not be read: 400, 413 or 431.
Response refusal(boost::beast::http::status status, const std::string& why);

}  // namespace fuseguard::http
