// What the HTTP server answers, request by request, without a socket.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "drivers/http/password.hpp"
#include "drivers/http/routes.hpp"

using namespace fuseguard::http;
namespace config = fuseguard::config;
namespace beast_http = boost::beast::http;

namespace {

Request request(beast_http::verb verb, const std::string& target) {
    Request req{verb, target, 11};
    req.set(beast_http::field::host, "127.0.0.1");
    return req;
}

Response response(const Answer& a) {
    REQUIRE(std::holds_alternative<Response>(a));
    return std::get<Response>(a);
}

// A deferred answer, run to its end (the routes below finish at once).
Response finished(const Answer& a) {
    REQUIRE(std::holds_alternative<Deferred>(a));
    std::optional<Response> out;
    std::get<Deferred>(a).start([&](Response r) { out = std::move(r); });
    REQUIRE(out);
    return *out;
}

Request posted(const std::string& target, const std::string& body, const std::string& cookie = "") {
    Request req = request(beast_http::verb::post, target);
    req.set(beast_http::field::content_type, "application/json");
    if (!cookie.empty()) req.set(beast_http::field::cookie, cookie);
    req.body() = body;
    req.prepare_payload();
    return req;
}

// The cookie a successful login sets, as the browser sends it back.
std::string cookie_of(const Response& res) {
    const std::string set(res[beast_http::field::set_cookie]);
    return set.substr(0, set.find(';'));
}

// Routes with a login (the password is "secret") whose checks run at once
// and whose commands are recorded and answered Accepted.
struct LoginSite {
    LoginSite() : logins(config::HttpLogin{"operator", *hash_password("secret")}) {
        routes.board = &board;
        routes.logins = &logins;
        routes.offload = [this](std::function<bool()> work, std::function<void(bool)> done) {
            ++checks;
            done(work());
        };
        routes.now = [this] { return now; };
        routes.command = [this](CommandCall call, std::function<void(CommandOutcome)> done) {
            calls.push_back(call);
            done({call.action == "bogus" ? "Invalid" : "Accepted", R"({"status":"x"})"});
        };
    }
    StateBoard board;
    Logins logins;
    Routes routes;
    Logins::Clock::time_point now{std::chrono::hours(1000)};
    int checks = 0;
    std::vector<CommandCall> calls;
};

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

    TEST_CASE("a command needs a login: refused without a session, run with one, under the user's name") {
        LoginSite site;
        const std::string reset = "/api/chargers/CP%201/reset";
        auto refused = response(answer(posted(reset, "{}"), site.routes));
        CHECK(refused.result() == beast_http::status::unauthorized);
        CHECK(response(answer(posted(reset, "{}", "fuseguard_session=0123abcd"), site.routes)).result() ==
              beast_http::status::unauthorized);
        CHECK(site.calls.empty());

        auto wrong = finished(answer(posted("/api/login", R"({"user":"operator","password":"guess"})"), site.routes));
        CHECK(wrong.result() == beast_http::status::unauthorized);
        CHECK(wrong[beast_http::field::set_cookie].empty());
        site.now += std::chrono::seconds(2);
        auto wrong_user = finished(answer(posted("/api/login", R"({"user":"admin","password":"secret"})"), site.routes));
        CHECK(wrong_user.result() == beast_http::status::unauthorized);
        CHECK(site.checks == 2);  // the hash is checked for a wrong user name too
        site.now += std::chrono::seconds(2);

        auto ok = finished(answer(posted("/api/login", R"({"user":"operator","password":"secret"})"), site.routes));
        REQUIRE(ok.result() == beast_http::status::ok);
        const std::string set(ok[beast_http::field::set_cookie]);
        CHECK(set.find("HttpOnly") != std::string::npos);
        CHECK(set.find("SameSite=Strict") != std::string::npos);
        // 256 random bits, in hex.
        const std::string token = cookie_of(ok).substr(cookie_of(ok).find('=') + 1);
        CHECK(token.size() == 64);
        CHECK(token.find_first_not_of("0123456789ABCDEFabcdef") == std::string::npos);
        const auto cookie = "theme=dark; " + cookie_of(ok);
        auto session = nlohmann::json::parse(response(answer([&] {
                                                          auto r = request(beast_http::verb::get, "/api/session");
                                                          r.set(beast_http::field::cookie, cookie);
                                                          return r;
                                                      }(), site.routes)).body());
        CHECK(session["login"] == true);
        CHECK(session["user"] == "operator");

        auto done = finished(answer(posted(reset, R"({"connector":2})", cookie), site.routes));
        CHECK(done.result() == beast_http::status::ok);
        CHECK(done.body() == R"({"status":"x"})");
        REQUIRE(site.calls.size() == 1);
        CHECK(site.calls[0].station == "CP 1");
        CHECK(site.calls[0].action == "reset");
        CHECK(site.calls[0].payload == R"({"connector":2})");
        CHECK(site.calls[0].user == "operator");
        CHECK(finished(answer(posted("/api/chargers/CP1/bogus", "{}", cookie), site.routes)).result() ==
              beast_http::status::bad_request);

        // Logged out, the same cookie no longer works.
        response(answer(posted("/api/logout", "{}", cookie), site.routes));
        CHECK(response(answer(posted(reset, "{}", cookie), site.routes)).result() == beast_http::status::unauthorized);
        // A session ends after its lifetime.
        auto again = finished(answer(posted("/api/login", R"({"user":"operator","password":"secret"})"), site.routes));
        site.now += Logins::kLifetime;
        CHECK(response(answer(posted(reset, "{}", cookie_of(again)), site.routes)).result() ==
              beast_http::status::unauthorized);
    }

    TEST_CASE("guessing is throttled: one check at a time, none within a second of a wrong password") {
        LoginSite site;
        finished(answer(posted("/api/login", R"({"user":"operator","password":"a"})"), site.routes));
        auto throttled = response(answer(posted("/api/login", R"({"user":"operator","password":"b"})"), site.routes));
        CHECK(throttled.result() == beast_http::status::too_many_requests);
        CHECK(throttled[beast_http::field::retry_after] == "1");
        CHECK(site.checks == 1);
        site.now += std::chrono::milliseconds(1001);
        CHECK(finished(answer(posted("/api/login", R"({"user":"operator","password":"secret"})"), site.routes)).result() ==
              beast_http::status::ok);
        // While a check runs (its answer not back yet), another waits.
        site.routes.offload = [](std::function<bool()>, std::function<void(bool)>) {};
        std::get<Deferred>(answer(posted("/api/login", R"({"user":"operator","password":"c"})"), site.routes))
            .start([](Response) {});
        CHECK(response(answer(posted("/api/login", R"({"user":"operator","password":"d"})"), site.routes)).result() ==
              beast_http::status::too_many_requests);
    }

    TEST_CASE("another site's page cannot post here with the operator's cookie") {
        LoginSite site;
        auto form = posted("/api/login", "user=operator&password=secret");
        form.set(beast_http::field::content_type, "application/x-www-form-urlencoded");
        CHECK(response(answer(form, site.routes)).result() == beast_http::status::unsupported_media_type);
        auto foreign = posted("/api/login", R"({"user":"operator","password":"secret"})");
        foreign.set(beast_http::field::origin, "http://evil.example");
        CHECK(response(answer(foreign, site.routes)).result() == beast_http::status::forbidden);
        auto same = posted("/api/login", R"({"user":"operator","password":"secret"})");
        same.set(beast_http::field::origin, "http://127.0.0.1");
        CHECK(finished(answer(same, site.routes)).result() == beast_http::status::ok);
        CHECK(site.checks == 1);
    }

    TEST_CASE("without a login configured the page is read-only and says so") {
        StateBoard board;
        Routes routes{&board, {}};
        auto session = nlohmann::json::parse(response(answer(request(beast_http::verb::get, "/api/session"), routes)).body());
        CHECK(session["login"] == false);
        CHECK(session["user"].is_null());
        auto login = response(answer(posted("/api/login", R"({"user":"a","password":"b"})"), routes));
        CHECK(login.result() == beast_http::status::not_found);
        auto command = response(answer(posted("/api/chargers/CP1/reset", "{}"), routes));
        CHECK(command.result() == beast_http::status::forbidden);
        CHECK(command.body().find("http.login") != std::string::npos);
        // A malformed login or a GET with a body.
        LoginSite site;
        CHECK(response(answer(posted("/api/login", R"(["operator"])"), site.routes)).result() == beast_http::status::bad_request);
        auto get = request(beast_http::verb::get, "/");
        get.body() = "x";
        CHECK(response(answer(get, site.routes)).result() == beast_http::status::payload_too_large);
    }

    TEST_CASE("passwords: a made hash checks its password and no other; weak or clear ones are unusable") {
        const auto hash = hash_password("correct horse");
        REQUIRE(hash);
        CHECK(hash->rfind("$y$", 0) == 0);
        CHECK(hash_usable(*hash));
        CHECK(password_matches("correct horse", *hash));
        CHECK_FALSE(password_matches("correct horse ", *hash));
        CHECK_FALSE(password_matches("", *hash));
        CHECK(hash_password("correct horse") != hash);  // salted
        // `openssl passwd -6 -salt abc secret`
        const std::string sha512 = "$6$abc$IdWKNKTJEb8LxY7CGg8YBXlvtfZzFw7Mp/r6niK9YB2mdvgY..TKjv1T..8RadRt2qvUHYRLr/TsVArtr91iR1";
        CHECK(hash_usable(sha512));
        CHECK(password_matches("secret", sha512));
        CHECK_FALSE(hash_usable("$1$abc$xxxxxxxxxxxxxxxxxxxxxx"));  // MD5
        CHECK_FALSE(hash_usable("secret"));
        CHECK_FALSE(password_matches("secret", "secret"));
    }
}
