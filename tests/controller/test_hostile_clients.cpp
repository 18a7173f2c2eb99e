// Clients that are not stations, against the real binary (issue 17): a
// thousand connections that never finish their upgrade request, trickling
// it a byte at a time and coming back when dropped, and a burst of upgrades
// with a wrong password. A real station still gets in within seconds,
// the journal gets a summary instead of a line per refusal, and memory
// stays where it was. The binary runs with 400 file descriptors, fewer than
// the attack opens, so that running out of them is part of the test (in the
// plain build: see below for the sanitizers).
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <thread>

#include "common/eventually.hpp"
#include "common/proc_status.hpp"
#include "common/sanitizers.hpp"
#include "drivers/ocpp/pending_upgrades.hpp"
#include "site_under_test.hpp"

using namespace fuseguard;
using namespace fuseguard::test;
using namespace std::chrono_literals;

namespace {

sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return addr;
}

int connect_nonblocking(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    const auto addr = loopback(port);
    ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);  // EINPROGRESS
    return fd;
}

// Holds `count` connections that send "GET /ocpp/A HTTP/1.1\r\n..." one byte
// every 100 ms and never finish; one that is dropped comes back a second later.
class Trickler {
public:
    Trickler(std::uint16_t port, int count) : port_(port), sockets_(static_cast<std::size_t>(count)) {
        thread_ = std::thread([this] { run(); });
    }
    ~Trickler() {
        stop_ = true;
        thread_.join();
        for (auto& s : sockets_)
            if (s.fd >= 0) ::close(s.fd);
    }
    int closed() const { return closed_; }

private:
    struct Socket {
        int fd = -1;
        std::size_t sent = 0;
        std::chrono::steady_clock::time_point back_at{};
    };
    void run() {
        static constexpr std::string_view kRequest = "GET /ocpp/A HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n";
        while (!stop_) {
            const auto now = std::chrono::steady_clock::now();
            for (auto& s : sockets_) {
                if (s.fd < 0 && now >= s.back_at) {
                    s.fd = connect_nonblocking(port_);
                    s.sent = 0;
                }
                if (s.fd < 0) continue;
                const char byte = kRequest[s.sent % kRequest.size()];
                const auto n = ::send(s.fd, &byte, 1, MSG_NOSIGNAL);
                if (n == 1) ++s.sent;
                else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINPROGRESS && errno != ENOTCONN) {
                    ::close(s.fd);
                    s.fd = -1;
                    s.back_at = now + 1s;
                    ++closed_;
                    continue;
                }
                char sink[64];
                const auto got = ::recv(s.fd, sink, sizeof sink, MSG_DONTWAIT);
                if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {  // closed by fuseguard
                    ::close(s.fd);
                    s.fd = -1;
                    s.back_at = now + 1s;
                    ++closed_;
                }
            }
            std::this_thread::sleep_for(100ms);
        }
    }
    std::uint16_t port_;
    std::vector<Socket> sockets_;
    std::atomic<bool> stop_{false};
    std::atomic<int> closed_{0};
    std::thread thread_;
};

// One upgrade for station B with a wrong password: the status line it got.
std::string wrong_password_upgrade(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval timeout{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    const auto addr = loopback(port);
    std::string status;
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) {
        const std::string request =
            "GET /ocpp/B HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Protocol: ocpp1.6\r\nAuthorization: Basic Qjpub3RpdA==\r\n\r\n";  // B:notit
        if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
            char buf[256];
            const auto n = ::recv(fd, buf, sizeof buf, 0);
            if (n > 0) status.assign(buf, static_cast<std::size_t>(n));
            status = status.substr(0, status.find("\r\n"));
        }
    }
    ::close(fd);
    return status;
}

std::size_t count_of(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
}

// A station connecting and booting, on a thread of its own: a server that
// never answers the upgrade must fail the test, not hang it.
std::unique_ptr<AutoStation> station_within(SiteUnderTest& site, const std::string& id, std::chrono::seconds deadline) {
    auto connecting = std::async(std::launch::async, [&site, id] { return site.station(id); });
    if (connecting.wait_for(deadline) == std::future_status::ready) return connecting.get();
    site.stop();  // closes its end: the handshake fails and the thread ends
    try {
        connecting.get();
    } catch (const std::exception&) {
    }
    return nullptr;
}

}  // namespace

TEST_SUITE("Controller") {
    TEST_CASE("hostile clients: 1,000 trickling upgrades and a burst of wrong passwords keep no station out") {
        SiteUnderTest site;
        REQUIRE(site.stop() == 0);
        std::string yaml = site.yaml(40);
        const std::string b = "{ id: B, max_current_a: 32,";
        REQUIRE(yaml.find(b) != std::string::npos);
        yaml.replace(yaml.find(b), b.size(), "{ id: B, password: letmein-please, max_current_a: 32,");
        site.dir.write("site.yaml", yaml);
        // Out of descriptors, the sanitizers' runtime reports a false error:
        // UBSan's vptr check probes memory through a pipe it cannot open
        // ("invalid vptr ... memory cannot be printed" in Boost.System). Under
        // the sanitizers the attack runs with room to spare (it holds every
        // trickling connection); the plain build runs it out of descriptors
        // (it holds as many as its files allow).
        site.launcher = {"/usr/bin/prlimit", kUnderSanitizers ? "--nofile=4096:4096" : "--nofile=400:400", "--"};
        const std::size_t attack_holds = kUnderSanitizers ? 1000 : 350;
        site.start();
        const long rss_before = rss_kib(site.process->pid());
        REQUIRE(rss_before > 0);

        {
            Trickler attack(site.ocpp_port, 1000);
            // fuseguard holds them, then they are older than the second
            // after which a pending upgrade may be closed to make room
            // (PendingUpgrades::kSlow): from then on each new connection
            // closes one. Before, none is closed, however many wait.
            CHECK(eventually([&] { return open_files(site.process->pid()) >= attack_holds; }, 10s));
            std::this_thread::sleep_for(ocpp::PendingUpgrades::kSlow + 500ms);
            MESSAGE("fuseguard holds " << open_files(site.process->pid()) << " files");
            auto a = station_within(site, "A", 5s);
            REQUIRE_MESSAGE(a, "station A could not finish its upgrade within 5 s of the attack");
            a->boot();
            a->status(1, "Charging");
            CHECK(a->wait_calls("SetChargingProfile", [](const auto& calls) { return !calls.empty(); }, 10s));

            int refused = 0;
            for (int i = 0; i < 300; ++i)
                if (wrong_password_upgrade(site.ocpp_port).find(" 401 ") != std::string::npos) ++refused;
            CHECK(refused == 300);

            // Station A kept its connection through it all, and a second one still gets in.
            CHECK(a->connected());
            auto again = station_within(site, "A", 5s);
            CHECK_MESSAGE(again, "station A could not connect again after the burst");
            // Room was made by closing trickling ones (they come back later).
            // (The attacker notices each close within its 100 ms round.)
            CHECK(eventually([&] { return attack.closed() > 100; }, 5s));
            MESSAGE(attack.closed() << " attacking connections closed by fuseguard");
        }

        // The refusals were summed up, not written one by one.
        CHECK(site.process->wait_for("more connections refused in the last 10 s", 15s));
        const std::string& out = site.process->output();
        CHECK(count_of(out, "wrong or missing password") <= 20);
        // ASan keeps freed memory in quarantine: only the plain build says
        // anything about the resident size.
        if (!kUnderSanitizers) {
            const long rss_after = rss_kib(site.process->pid());
            MESSAGE("RSS before " << rss_before << " KiB, after " << rss_after << " KiB");
            CHECK(rss_after - rss_before < 32 * 1024);
        }
        CHECK(site.stop() == 0);
    }
}

namespace {

long soft_open_files(pid_t pid) {
    std::ifstream limits("/proc/" + std::to_string(pid) + "/limits");
    std::string line;
    while (std::getline(limits, line))
        if (line.rfind("Max open files", 0) == 0) return std::stol(line.substr(26));
    return -1;
}

}  // namespace

TEST_SUITE("Controller") {
    TEST_CASE("fuseguard raises its open-file limit to what the site needs, and says so when it cannot") {
        SiteUnderTest site;
        REQUIRE(site.stop() == 0);
        // Two stations: 2 + 256 pending upgrades + 64 others (file_limit.hpp).
        site.launcher = {"/usr/bin/prlimit", "--nofile=200:4096", "--"};
        site.start();
        CHECK(soft_open_files(site.process->pid()) == 322);
        CHECK(site.process->output().find("open files") == std::string::npos);
        REQUIRE(site.stop() == 0);

        site.launcher = {"/usr/bin/prlimit", "--nofile=200:200", "--"};
        site.start();
        CHECK(soft_open_files(site.process->pid()) == 200);
        CHECK(site.process->output().find("needs about 322 open files and fuseguard may only have 200") !=
              std::string::npos);
    }
}
