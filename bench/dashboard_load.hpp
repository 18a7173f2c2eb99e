#pragma once
// Dashboard watchers for bench_service: live pages that keep /events open
// and read everything fuseguard streams them, and a Prometheus-like scraper
// that fetches /metrics every few seconds, so that the whole service is
// measured with people and tools looking at it.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace fuseguard::bench {

class DashboardLoad {
public:
    DashboardLoad(boost::asio::io_context& io, std::uint16_t port, int pages, std::chrono::milliseconds scrape_every)
        : io_(io), port_(port), scrape_every_(scrape_every), scrape_timer_(io) {
        for (int i = 0; i < pages; ++i) pages_.push_back(std::make_shared<Page>(io));
    }
    void start() {
        for (auto& p : pages_) open(p);
        schedule_scrape();
    }
    void stop() {
        stopped_ = true;
        scrape_timer_.cancel();
        for (auto& p : pages_) {
            boost::system::error_code ignored;
            p->socket.close(ignored);
        }
    }
    // Bytes the pages have read so far; scrapes done and the slowest one.
    std::uint64_t page_bytes() const { return page_bytes_; }
    int pages_open() const {
        return static_cast<int>(std::count_if(pages_.begin(), pages_.end(), [](const auto& p) { return p->open; }));
    }
    int scrapes() const { return scrapes_; }
    int reconnects() const { return reconnects_; }
    double slowest_scrape_ms() const { return slowest_scrape_ms_; }
    std::size_t last_metrics_bytes() const { return last_metrics_bytes_; }

private:
    struct Page {
        explicit Page(boost::asio::io_context& io) : socket(io) {}
        boost::asio::ip::tcp::socket socket;
        std::array<char, 65536> buffer{};
        bool open = false;
    };
    struct Scrape {
        explicit Scrape(boost::asio::io_context& io) : socket(io) {}
        boost::asio::ip::tcp::socket socket;
        std::array<char, 65536> buffer{};
        std::size_t bytes = 0;
        std::chrono::steady_clock::time_point began = std::chrono::steady_clock::now();
    };
    boost::asio::ip::tcp::endpoint endpoint() const { return {boost::asio::ip::make_address("127.0.0.1"), port_}; }
    static const std::string& request(const char* target) {
        static const std::string events = "GET /events HTTP/1.1\r\nHost: bench\r\n\r\n";
        static const std::string metrics = "GET /metrics HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n";
        return std::string(target) == "/events" ? events : metrics;
    }
    void open(const std::shared_ptr<Page>& p) {
        p->socket.async_connect(endpoint(), [this, p](boost::system::error_code ec) {
            if (ec) return;
            boost::asio::async_write(p->socket, boost::asio::buffer(request("/events")),
                                     [this, p](boost::system::error_code e, std::size_t) {
                                         if (e) return;
                                         p->open = true;
                                         read(p);
                                     });
        });
    }
    void read(const std::shared_ptr<Page>& p) {
        p->socket.async_read_some(boost::asio::buffer(p->buffer), [this, p](boost::system::error_code ec, std::size_t n) {
            if (!ec) {
                page_bytes_ += n;
                return read(p);
            }
            p->open = false;
            if (stopped_) return;
            // Dropped (it fell behind): back after 2 s, as a browser's
            // EventSource comes back, to a fresh snapshot.
            ++reconnects_;
            auto retry = std::make_shared<boost::asio::steady_timer>(io_, std::chrono::seconds(2));
            retry->async_wait([this, p, retry](boost::system::error_code e) {
                if (e || stopped_) return;
                p->socket = boost::asio::ip::tcp::socket(io_);
                open(p);
            });
        });
    }
    void schedule_scrape() {
        if (stopped_) return;
        scrape_timer_.expires_after(scrape_every_);
        scrape_timer_.async_wait([this](boost::system::error_code ec) {
            if (ec || stopped_) return;
            scrape();
            schedule_scrape();
        });
    }
    void scrape() {
        auto s = std::make_shared<Scrape>(io_);
        s->socket.async_connect(endpoint(), [this, s](boost::system::error_code ec) {
            if (ec) return;
            boost::asio::async_write(s->socket, boost::asio::buffer(request("/metrics")),
                                     [this, s](boost::system::error_code e, std::size_t) {
                                         if (!e) read_scrape(s);
                                     });
        });
    }
    void read_scrape(const std::shared_ptr<Scrape>& s) {
        s->socket.async_read_some(boost::asio::buffer(s->buffer), [this, s](boost::system::error_code ec, std::size_t n) {
            s->bytes += n;
            if (!ec) return read_scrape(s);
            ++scrapes_;
            last_metrics_bytes_ = s->bytes;
            slowest_scrape_ms_ = std::max(
                slowest_scrape_ms_, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s->began).count());
        });
    }

    boost::asio::io_context& io_;
    std::uint16_t port_;
    std::chrono::milliseconds scrape_every_;
    boost::asio::steady_timer scrape_timer_;
    std::vector<std::shared_ptr<Page>> pages_;
    std::uint64_t page_bytes_ = 0;
    int scrapes_ = 0;
    int reconnects_ = 0;
    double slowest_scrape_ms_ = 0;
    std::size_t last_metrics_bytes_ = 0;
    bool stopped_ = false;
};

}  // namespace fuseguard::bench
