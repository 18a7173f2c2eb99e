#pragma once
// Debian's Chromium, headless, on a page, driven over the DevTools protocol
// (a websocket on loopback): the dashboard tests read what a real browser
// shows after running the page's script, and take a screenshot of it.
#include <boost/asio/io_context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "common/child_process.hpp"

namespace fuseguard::test {

class HeadlessChromium {
public:
    // Opens `url` in a new headless browser whose profile lives in `profile_dir`.
    HeadlessChromium(const std::string& url, const std::filesystem::path& profile_dir);
    ~HeadlessChromium();

    // The value of a JavaScript expression in the page (Runtime.evaluate);
    // of a promise, once it settles.
    nlohmann::json evaluate(const std::string& expression);
    // The page as a PNG, written to `file`.
    void screenshot(const std::filesystem::path& file);
    const std::string& output() const { return process_->output(); }

private:
    nlohmann::json call(const std::string& method, const nlohmann::json& params);
    template <class Start>
    void run(Start start);

    std::unique_ptr<ChildProcess> process_;
    boost::asio::io_context io_;
    std::unique_ptr<boost::beast::websocket::stream<boost::beast::tcp_stream>> ws_;
    boost::beast::flat_buffer buffer_;
    int next_id_ = 0;
};

}  // namespace fuseguard::test
