// What the HTTP server answers, request by request, without a socket.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "drivers/http/routes.hpp"

using namespace fuseguard::http;
namespace beast_http = boost::beast::http;

namespace {

Request request(beast_http::verb verb, const std::string& target) {
    Request req{verb, target, 11};
    req.set(beast_http::field::host, "127.0.0.1");
    return req;
}

Response response(const std::variant<Response, OpenEventStream>& a) {
    REQUIRE(std::holds_alternative<Response>(a));
    return std::get<Response>(a);
}

}  // namespace

TEST_SUITE("HttpRoutes") {
    TEST_CASE("the dashboard's page, script and style come from the binary, with their types") {
        StateBoard board;
        Routes routes{&board, {}};
        auto page = response(answer(request(beast_http::verb::get, "/"), routes));
        CHECK(page.result() == beast_http::status::ok);
        CHECK(page[beast_http::field::content_type] == "text/html; charset=utf-8");
        CHECK(page.body().find("<script src=\"/dashboard.js\"") != std::string::npos);
        CHECK(page.body().find("Error notifications") != std::string::npos);
        auto js = response(answer(request(beast_http::verb::get, "/dashboard.js"), routes));
        CHECK(js[beast_http::field::content_type] == "text/javascript; charset=utf-8");
        CHECK(js.body().find("new EventSource(\"/events\")") != std::string::npos);
        auto css = response(answer(request(beast_http::verb::get, "/dashboard.css?v=2"), routes));
        CHECK(css[beast_http::field::content_type] == "text/css; charset=utf-8");
        // Nothing is loaded from elsewhere, and nobody frames the page.
        CHECK(page["Content-Security-Policy"] == "default-src 'self'; frame-ancestors 'none'");
        CHECK(page["X-Content-Type-Options"] == "nosniff");
        CHECK(page.body().find("http://") == std::string::npos);
        CHECK(page.body().find("https://") == std::string::npos);
    }

    TEST_CASE("the state is the latest payload of every topic, as one JSON object") {
        StateBoard board;
        board.put("site", R"({"fuse_limit_a":[40,40,40]})");
        board.put("chargers/A", R"({"state":"online"})");
        board.put("notifications", "[]");
        auto res = response(answer(request(beast_http::verb::get, "/api/state"), Routes{&board, {}}));
        CHECK(res[beast_http::field::content_type] == "application/json");
        CHECK(res[beast_http::field::cache_control] == "no-store");
        const auto j = nlohmann::json::parse(res.body());
        CHECK(j["site"]["fuse_limit_a"][0] == 40);
        CHECK(j["chargers/A"]["state"] == "online");
        CHECK(j["notifications"].is_array());
    }

    TEST_CASE("/events opens the live stream; HEAD only says what it would be") {
        StateBoard board;
        CHECK(std::holds_alternative<OpenEventStream>(answer(request(beast_http::verb::get, "/events"), Routes{&board, {}})));
        auto head = response(answer(request(beast_http::verb::head, "/events"), Routes{&board, {}}));
        CHECK(head[beast_http::field::content_type] == "text/event-stream");
        CHECK(head.body().empty());
    }

    TEST_CASE("HEAD has the length GET would have and no body") {
        StateBoard board;
        auto get = response(answer(request(beast_http::verb::get, "/"), Routes{&board, {}}));
        auto head = response(answer(request(beast_http::verb::head, "/"), Routes{&board, {}}));
        CHECK(head.body().empty());
        CHECK(head[beast_http::field::content_length] == std::to_string(get.body().size()));
    }

    TEST_CASE("/metrics is the provider's text in Prometheus' format, when metrics are on") {
        int scraped = 0;
        Routes routes{nullptr, [&] {
                          ++scraped;
                          return std::string("fuseguard_up 1\n");
                      }};
        auto res = response(answer(request(beast_http::verb::get, "/metrics"), routes));
        CHECK(res.result() == beast_http::status::ok);
        CHECK(res[beast_http::field::content_type] == "text/plain; version=0.0.4; charset=utf-8");
        CHECK(res.body() == "fuseguard_up 1\n");
        CHECK(scraped == 1);
        // Dashboard off: its page says so, its state is not served.
        CHECK(response(answer(request(beast_http::verb::get, "/"), routes)).result() == beast_http::status::not_found);
        CHECK(response(answer(request(beast_http::verb::get, "/api/state"), routes)).result() ==
              beast_http::status::not_found);
        CHECK(response(answer(request(beast_http::verb::get, "/"), routes)).body().find("http.dashboard: false") !=
              std::string::npos);
        // Metrics off.
        StateBoard board;
        auto off = response(answer(request(beast_http::verb::get, "/metrics"), Routes{&board, {}}));
        CHECK(off.result() == beast_http::status::not_found);
        CHECK(off.body().find("http.metrics: false") != std::string::npos);
    }

    TEST_CASE("other methods and pages are refused with a reason") {
        StateBoard board;
        Routes routes{&board, [] { return std::string(); }};
        auto post = response(answer(request(beast_http::verb::post, "/"), routes));
        CHECK(post.result() == beast_http::status::method_not_allowed);
        CHECK(post[beast_http::field::allow] == "GET, HEAD");
        for (const char* target : {"/nothing", "/../etc/passwd", "/index.html/", "*", "http://x/"}) {
            CAPTURE(target);
            CHECK(response(answer(request(beast_http::verb::get, target), routes)).result() == beast_http::status::not_found);
        }
    }
}
