#include "common/headless_chromium.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>
#include <openssl/evp.h>

#include <csignal>
#include <fstream>
#include <regex>
#include <stdexcept>
#include <thread>

namespace fuseguard::test {

namespace net = boost::asio;
namespace beast = boost::beast;
using nlohmann::json;

namespace {

constexpr auto kDeadline = std::chrono::seconds(15);

// The DevTools port Chromium chose (--remote-debugging-port=0 writes it to
// the profile's DevToolsActivePort).
std::uint16_t devtools_port(const std::filesystem::path& profile_dir, ChildProcess& browser) {
    const auto until = std::chrono::steady_clock::now() + kDeadline;
    for (;;) {
        std::ifstream in(profile_dir / "DevToolsActivePort");
        int port = 0;
        if (in >> port && port > 0) return static_cast<std::uint16_t>(port);
        if (std::chrono::steady_clock::now() > until || !browser.running())
            throw std::runtime_error("chromium did not open its DevTools port:\n" + browser.output());
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

// OpenSSL's decoder, which fuseguard links already; it counts the padding
// as zero bytes, which are taken off again.
std::string base64_decode(const std::string& in) {
    std::string out(in.size() / 4 * 3, '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
    if (n < 0) throw std::runtime_error("the screenshot is not base64");
    out.resize(static_cast<std::size_t>(n));
    for (auto c = in.rbegin(); c != in.rend() && *c == '='; ++c) out.pop_back();
    return out;
}

}  // namespace

template <class Start>
void HeadlessChromium::run(Start start) {
    bool done = false;
    beast::error_code result;
    start([&](beast::error_code ec) {
        result = ec;
        done = true;
    });
    io_.restart();
    io_.run_for(kDeadline);
    if (!done) throw std::runtime_error("chromium's DevTools did not answer in time");
    if (result) throw beast::system_error(result);
}

HeadlessChromium::HeadlessChromium(const std::string& url, const std::filesystem::path& profile_dir) {
    std::filesystem::create_directories(profile_dir);
    process_ = std::make_unique<ChildProcess>(std::vector<std::string>{
        "/usr/bin/chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-extensions", "--disable-background-networking", "--remote-debugging-address=127.0.0.1",
        "--remote-debugging-port=0", "--user-data-dir=" + profile_dir.string(), "--window-size=1400,1100", url});
    const auto port = devtools_port(profile_dir, *process_);

    // The page's own DevTools target, from /json/list.
    net::ip::tcp::endpoint at{net::ip::make_address("127.0.0.1"), port};
    std::string target;
    const auto until = std::chrono::steady_clock::now() + kDeadline;
    while (target.empty()) {
        beast::tcp_stream http(io_);
        beast::http::request<beast::http::empty_body> req{beast::http::verb::get, "/json/list", 11};
        req.set(beast::http::field::host, "127.0.0.1");
        beast::http::response<beast::http::string_body> res;
        beast::flat_buffer buf;
        run([&](auto done) {
            http.async_connect(at, [&, done](beast::error_code ec) {
                if (ec) return done(ec);
                beast::http::async_write(http, req, [&, done](beast::error_code ec2, std::size_t) {
                    if (ec2) return done(ec2);
                    beast::http::async_read(http, buf, res, [done](beast::error_code ec3, std::size_t) { done(ec3); });
                });
            });
        });
        for (const auto& t : json::parse(res.body()))
            if (t.value("type", "") == "page" && t.value("url", "").rfind(url.substr(0, url.find('#')), 0) == 0)
                target = t.value("webSocketDebuggerUrl", "");
        if (target.empty()) {
            if (std::chrono::steady_clock::now() > until) throw std::runtime_error("no page target: " + res.body());
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }
    std::smatch m;
    if (!std::regex_match(target, m, std::regex("ws://[^/]+(/.*)"))) throw std::runtime_error("odd target " + target);
    const std::string path = m[1];
    ws_ = std::make_unique<beast::websocket::stream<beast::tcp_stream>>(io_);
    run([&](auto done) {
        beast::get_lowest_layer(*ws_).async_connect(at, [&, done](beast::error_code ec) {
            if (ec) return done(ec);
            ws_->async_handshake("127.0.0.1:" + std::to_string(port), path, [done](beast::error_code ec2) { done(ec2); });
        });
    });
}

HeadlessChromium::~HeadlessChromium() {
    try {
        if (ws_) call("Browser.close", json::object());
    } catch (const std::exception&) {
        // It may be gone already: the process is ended below either way.
    }
    if (process_ && process_->running()) process_->signal(SIGTERM);
    if (process_) process_->wait_exit(std::chrono::seconds(10));
}

json HeadlessChromium::call(const std::string& method, const json& params) {
    const int id = ++next_id_;
    const std::string text = json{{"id", id}, {"method", method}, {"params", params}}.dump();
    run([&](auto done) { ws_->async_write(net::buffer(text), [done](beast::error_code ec, std::size_t) { done(ec); }); });
    // Events are not enabled: what comes is answers, ours in order.
    for (;;) {
        buffer_.clear();
        run([&](auto done) { ws_->async_read(buffer_, [done](beast::error_code ec, std::size_t) { done(ec); }); });
        auto answer = json::parse(beast::buffers_to_string(buffer_.data()));
        if (answer.value("id", 0) != id) continue;
        if (answer.contains("error")) throw std::runtime_error(method + ": " + answer["error"].dump());
        return answer["result"];
    }
}

json HeadlessChromium::evaluate(const std::string& expression) {
    // A promise (a fetch) is waited for and its value returned.
    const auto r = call("Runtime.evaluate", {{"expression", expression}, {"returnByValue", true}, {"awaitPromise", true}});
    if (r.contains("exceptionDetails")) throw std::runtime_error("the page threw: " + r["exceptionDetails"].dump());
    return r["result"].value("value", json());
}

void HeadlessChromium::screenshot(const std::filesystem::path& file) {
    const auto r = call("Page.captureScreenshot", {{"format", "png"}, {"captureBeyondViewport", true}});
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << base64_decode(r.value("data", ""));
}

}  // namespace fuseguard::test
