#include "routes.hpp"

#include "assets.hpp"

namespace fuseguard::http {

namespace beast_http = boost::beast::http;

namespace {

Response reply(const Request& req, beast_http::status status, std::string_view content_type, std::string body) {
    Response res(status, req.version());
    res.set(beast_http::field::server, "fuseguard");
    res.set(beast_http::field::content_type, boost::beast::string_view(content_type.data(), content_type.size()));
    // The page only ever loads its own files; nobody frames it or sniffs a type.
    res.set("X-Content-Type-Options", "nosniff");
    res.set("X-Frame-Options", "DENY");
    res.set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'");
    res.set(beast_http::field::cache_control, "no-store");
    res.keep_alive(req.keep_alive());
    const auto size = body.size();
    if (req.method() != beast_http::verb::head) res.body() = std::move(body);
    res.content_length(size);
    return res;
}

Response text(const Request& req, beast_http::status status, const std::string& message) {
    return reply(req, status, "text/plain; charset=utf-8", message + "\n");
}

}  // namespace

std::variant<Response, OpenEventStream> answer(const Request& req, const Routes& routes) {
    if (req.method() != beast_http::verb::get && req.method() != beast_http::verb::head) {
        auto res = text(req, beast_http::status::method_not_allowed, "only GET and HEAD are served here");
        res.set(beast_http::field::allow, "GET, HEAD");
        return res;
    }
    std::string_view target(req.target().data(), req.target().size());
    target = target.substr(0, target.find('?'));  // a query changes nothing here
    if (target == "/metrics") {
        if (!routes.metrics) return text(req, beast_http::status::not_found, "metrics are off (http.metrics: false)");
        // Prometheus text exposition format 0.0.4.
        return reply(req, beast_http::status::ok, "text/plain; version=0.0.4; charset=utf-8", routes.metrics());
    }
    if (!routes.board) {
        if (target == "/")
            return text(req, beast_http::status::not_found, "the dashboard is off (http.dashboard: false)");
        return text(req, beast_http::status::not_found, "no such page");
    }
    if (target == "/api/state")
        return reply(req, beast_http::status::ok, "application/json", routes.board->snapshot());
    if (target == "/events") {
        if (req.method() == beast_http::verb::head)
            return reply(req, beast_http::status::ok, "text/event-stream", "");
        return OpenEventStream{};
    }
    if (const Asset* a = find_asset(target))
        return reply(req, beast_http::status::ok, a->content_type, std::string(a->body));
    return text(req, beast_http::status::not_found, "no such page");
}

Response refusal(beast_http::status status, const std::string& why) {
    Request req;
    req.version(11);
    req.method(beast_http::verb::get);
    auto res = text(req, status, why);
    res.keep_alive(false);
    return res;
}

}  // namespace fuseguard::http
