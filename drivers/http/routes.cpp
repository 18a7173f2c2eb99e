#include "routes.hpp"

#include <nlohmann/json.hpp>

#include <memory>

#include "assets.hpp"
#include "password.hpp"

namespace fuseguard::http {

namespace beast_http = boost::beast::http;
using nlohmann::json;

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

Response json_reply(const Request& req, beast_http::status status, const json& body) {
    return reply(req, status, "application/json", body.dump());
}

Response not_allowed(const Request& req, const char* allow) {
    auto res = text(req, beast_http::status::method_not_allowed, std::string("use ") + allow + " here");
    res.set(beast_http::field::allow, allow);
    return res;
}

std::string_view field(const Request& req, beast_http::field f) {
    const auto it = req.find(f);
    if (it == req.end()) return {};
    return {it->value().data(), it->value().size()};
}

// "%2F" and friends in a path segment; none when it is not valid.
std::optional<std::string> percent_decoded(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out += s[i];
            continue;
        }
        if (i + 2 >= s.size()) return std::nullopt;
        const auto hex = [](char c) -> int {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
        };
        const int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out;
}

// What keeps another site's page from posting here with the browser's
// cookie: a JSON body (a cross-site form cannot send one without asking
// first, and nothing here answers that question), and the Origin, when the
// browser names one, being this server.
std::optional<Response> cross_site(const Request& req) {
    const auto type = field(req, beast_http::field::content_type);
    if (type.substr(0, type.find(';')) != "application/json")
        return text(req, beast_http::status::unsupported_media_type, "send the body as application/json");
    const auto origin = field(req, beast_http::field::origin);
    const auto host = std::string(field(req, beast_http::field::host));
    if (!origin.empty() && origin != "http://" + host && origin != "https://" + host)
        return text(req, beast_http::status::forbidden, "a request from another site's page is not taken");
    return std::nullopt;
}

Answer login(const Request& req, const Routes& routes) {
    if (!routes.logins || !routes.offload)
        return json_reply(req, beast_http::status::not_found, {{"error", "no login is configured (http.login)"}});
    const auto body = json::parse(req.body(), nullptr, false);
    if (!body.is_object() || !body.contains("user") || !body["user"].is_string() || !body.contains("password") ||
        !body["password"].is_string())
        return json_reply(req, beast_http::status::bad_request, {{"error", "expected {\"user\": ..., \"password\": ...}"}});
    Logins* logins = routes.logins;
    if (const auto wait = logins->wait_before_try(routes.now())) {
        auto res = json_reply(req, beast_http::status::too_many_requests, {{"error", "too many attempts; try again shortly"}});
        res.set(beast_http::field::retry_after, std::to_string(wait->count()));
        return res;
    }
    logins->trying();
    auto request = std::make_shared<Request>(req);
    return Deferred{[request, logins, offload = routes.offload, now = routes.now, user = body["user"].get<std::string>(),
                     password = body["password"].get<std::string>()](std::function<void(Response)> send) {
        // The hash is checked whatever the user name, so that timing does
        // not tell a right name from a wrong one.
        offload([password, hash = logins->password_hash()] { return password_matches(password, hash); },
                [request, logins, now, user, send](bool matches) {
                    if (!matches || user != logins->user()) {
                        logins->failed(now());
                        return send(json_reply(*request, beast_http::status::unauthorized, {{"error", "wrong user or password"}}));
                    }
                    auto res = json_reply(*request, beast_http::status::ok, {{"user", user}});
                    res.set(beast_http::field::set_cookie, Logins::cookie(logins->open(now())));
                    send(std::move(res));
                });
    }};
}

Answer command(const Request& req, const Routes& routes, std::string_view rest) {
    const auto slash = rest.find('/');
    const auto station = percent_decoded(rest.substr(0, slash));
    const auto action = slash == std::string_view::npos ? std::nullopt : percent_decoded(rest.substr(slash + 1));
    if (!station || !action || station->empty() || action->empty() || action->find('/') != std::string::npos)
        return text(req, beast_http::status::not_found, "expected /api/chargers/<id>/<action>");
    if (!routes.logins || !routes.command)
        return json_reply(req, beast_http::status::forbidden,
                          {{"error", "operator commands from the page need a login: configure http.login"}});
    const auto user = routes.logins->user_of(field(req, beast_http::field::cookie), routes.now());
    if (!user) return json_reply(req, beast_http::status::unauthorized, {{"error", "log in first"}});
    auto request = std::make_shared<Request>(req);
    return Deferred{[request, run = routes.command, call = CommandCall{*station, *action, req.body(), *user}](
                        std::function<void(Response)> send) {
        run(call, [request, send](CommandOutcome outcome) {
            const auto status = outcome.status == "Invalid" ? beast_http::status::bad_request : beast_http::status::ok;
            send(reply(*request, status, "application/json", std::move(outcome.payload)));
        });
    }};
}

Answer post(const Request& req, const Routes& routes, std::string_view target) {
    constexpr std::string_view kCommands = "/api/chargers/";
    const bool known = target == "/api/login" || target == "/api/logout" || target.substr(0, kCommands.size()) == kCommands;
    if (!known || !routes.board) return not_allowed(req, "GET, HEAD");
    if (auto refused = cross_site(req)) return std::move(*refused);
    if (target == "/api/login") return login(req, routes);
    if (target == "/api/logout") {
        if (routes.logins) routes.logins->close(field(req, beast_http::field::cookie));
        auto res = json_reply(req, beast_http::status::ok, {{"user", nullptr}});
        res.set(beast_http::field::set_cookie, Logins::cookie(""));
        return res;
    }
    return command(req, routes, target.substr(kCommands.size()));
}

}  // namespace

Answer answer(const Request& req, const Routes& routes) {
    std::string_view target(req.target().data(), req.target().size());
    target = target.substr(0, target.find('?'));  // a query changes nothing here
    if (req.method() == beast_http::verb::post) return post(req, routes, target);
    if (req.method() != beast_http::verb::get && req.method() != beast_http::verb::head) return not_allowed(req, "GET, HEAD");
    if (!req.body().empty()) {
        auto res = text(req, beast_http::status::payload_too_large, "GET and HEAD requests carry no body");
        res.keep_alive(false);
        return res;
    }
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
    if (target == "/api/session") {
        std::optional<std::string> user;
        if (routes.logins) user = routes.logins->user_of(field(req, beast_http::field::cookie), routes.now());
        return json_reply(req, beast_http::status::ok,
                          {{"login", routes.logins != nullptr && static_cast<bool>(routes.command)},
                           {"user", user ? json(*user) : json(nullptr)}});
    }
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
