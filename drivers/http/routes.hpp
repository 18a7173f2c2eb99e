#pragma once
// What the HTTP server answers, as a pure function of the request: the
// dashboard's files, the state as JSON, /metrics, or the start of an event
// stream. Kept apart from the session so that every answer can be tested
// without a socket.
#include <boost/beast/http.hpp>

#include <functional>
#include <string>
#include <variant>

#include "state_board.hpp"

namespace fuseguard::http {

using Request = boost::beast::http::request<boost::beast::http::empty_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

struct Routes {
    StateBoard* board = nullptr;              // null: no dashboard
    std::function<std::string()> metrics;     // empty: no /metrics
};

// The request asks for the live event stream (GET /events with a board).
struct OpenEventStream {};

std::variant<Response, OpenEventStream> answer(const Request& req, const Routes& routes);

// An answer to a request that could not be read: 400, 413 or 431.
Response refusal(boost::beast::http::status status, const std::string& why);

}  // namespace fuseguard::http
