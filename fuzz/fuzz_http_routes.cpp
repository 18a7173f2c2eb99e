// libFuzzer: a request to the dashboard's HTTP server (anyone who can reach
// the port), parsed as its Session parses it (Beast's parser, the 8 KiB
// header and 4 KiB body limits) and answered by its routes. Beyond "no
// crash", it checks the login's rule: no password is ever right here (the
// check always fails), so no request may run a command or get a session.
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "drivers/http/routes.hpp"

namespace {

using namespace fuseguard;
namespace beast_http = boost::beast::http;

struct Site {
    http::StateBoard board;
    http::Logins logins{config::HttpLogin{"operator", "$6$abc$IdWKNKTJEb8LxY7CGg8YBXlvtfZzFw7Mp/r6niK9YB2mdvgY..TKjv1T..8RadRt2qvUHYRLr/TsVArtr91iR1"}};
    http::Routes routes;
    Site() {
        board.put("site", R"({"fuse_limit_a":[40,40,40]})");
        board.put("chargers/CP1", R"({"state":"online"})");
        routes.board = &board;
        routes.metrics = [] { return std::string("fuseguard_up 1\n"); };
        routes.logins = &logins;
        // Never a right password: the hash is not checked (it is slow, and
        // the rule below is about what a wrong one may do).
        routes.offload = [](std::function<bool()>, std::function<void(bool)> done) { done(false); };
        // A time far apart each run: no throttle carries over between inputs.
        routes.now = [this] { return now += std::chrono::hours(1); };
        routes.command = [](http::CommandCall, std::function<void(http::CommandOutcome)>) {
            __builtin_trap();  // a command without a login
        };
    }
    http::Logins::Clock::time_point now{};
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static Site site;
    beast_http::request_parser<beast_http::string_body> parser;
    parser.header_limit(8 * 1024);
    parser.body_limit(http::kBodyLimit);
    parser.eager(true);
    boost::beast::error_code ec;
    parser.put(boost::asio::buffer(data, size), ec);
    if (ec || !parser.is_done()) return 0;
    const auto req = parser.release();
    auto answer = http::answer(req, site.routes);
    auto check = [](const http::Response& res) {
        const auto cookie = res[beast_http::field::set_cookie];
        if (!cookie.empty() && std::string(cookie.data(), cookie.size()).find("Max-Age=0") == std::string::npos)
            __builtin_trap();  // a session handed out without the password
    };
    if (auto* res = std::get_if<http::Response>(&answer)) check(*res);
    if (auto* deferred = std::get_if<http::Deferred>(&answer)) {
        bool answered = false;
        deferred->start([&](http::Response res) {
            check(res);
            answered = true;
        });
        if (!answered) __builtin_trap();  // a deferred answer that never comes
    }
    return 0;
}
