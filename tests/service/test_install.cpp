// Installation: the systemd unit verifies, and the Debian package puts every
// file where docs/installation.md says, with its conffile and dependencies.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/child_process.hpp"
#include "common/temp_dir.hpp"

using namespace fuseguard::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

TEST_SUITE("Install") {
    TEST_CASE("systemd-analyze verify accepts the unit - no unknown keys") {
        TempDir dir;
        std::ifstream in(FUSEGUARD_SOURCE_DIR "/systemd/fuseguard.service");
        std::stringstream unit;
        unit << in.rdbuf();
        std::string text = unit.str();
        CHECK(text.find("Type=notify") != std::string::npos);
        CHECK(text.find("WatchdogSec=") != std::string::npos);
        // The unit names the installed binary; verify it against the one just built.
        for (auto pos = text.find("/usr/bin/fuseguard"); pos != std::string::npos; pos = text.find("/usr/bin/fuseguard", pos))
            text.replace(pos, 18, FUSEGUARD_BINARY);
        const auto path = dir.write("fuseguard.service", text);
        const auto ran_code = run({"/usr/bin/systemd-analyze", "verify", path}, 60s);
        // Named, not a structured binding: clang 14 cannot capture one in INFO's lambda.
        const auto& code = ran_code.first;
        const auto& out = ran_code.second;
        INFO(out);
        CHECK(code == 0);
        CHECK(out.find("fuseguard.service") == std::string::npos);  // no warning about our unit
    }

    TEST_CASE("cpack builds a Debian package that installs into a scratch root") {
        TempDir dir;
        const auto ran_code = run({"/bin/sh", "-c", "cd '" FUSEGUARD_BUILD_DIR "' && cpack -G DEB -B '" + dir.path.string() + "' 2>&1"}, 240s);
        const auto& code = ran_code.first;
        const auto& out = ran_code.second;
        INFO(out);
        REQUIRE(code == 0);
        fs::path deb;
        for (const auto& e : fs::directory_iterator(dir.path))
            if (e.path().extension() == ".deb") deb = e.path();
        REQUIRE(!deb.empty());
        const auto root = dir.path / "root";
        const auto ran_xcode = run({"/usr/bin/dpkg-deb", "-x", deb.string(), root.string()});
        const auto& xcode = ran_xcode.first;
        const auto& xout = ran_xcode.second;
        REQUIRE_MESSAGE(xcode == 0, xout);
        // docs/installation.md describes the package built with the default
        // prefix, /usr (configuration in /etc); another prefix moves it all.
        const std::string prefix = FUSEGUARD_INSTALL_PREFIX;
        const std::string usr = prefix.substr(1), etc = prefix == "/usr" ? "etc" : usr + "/etc";
        for (const std::string& f : {usr + "/bin/fuseguard", usr + "/bin/fuseguard-sim", etc + "/fuseguard/fuseguard.yaml",
                                    usr + "/lib/systemd/system/fuseguard.service",
                                    usr + "/share/fuseguard/notifications.yaml", usr + "/share/fuseguard/examples/site.yaml",
                                    usr + "/share/fuseguard/examples/demo.yaml",
                                    usr + "/share/fuseguard/examples/simulator/demo-sim.yaml",
                                    usr + "/share/doc/fuseguard/installation.md", usr + "/share/doc/fuseguard/README.md"}) {
            CAPTURE(f);
            CHECK(fs::exists(root / f));
        }
        const auto ran_icode = run({"/usr/bin/dpkg-deb", "-I", deb.string()});
        const auto& icode = ran_icode.first;
        const auto& info = ran_icode.second;
        REQUIRE(icode == 0);
        CHECK(info.find("Depends:") != std::string::npos);
        CHECK(info.find("libmodbus") != std::string::npos);
        CHECK(info.find("libpaho-mqttpp") != std::string::npos);
        const auto ran_ccode = run({"/usr/bin/dpkg-deb", "-f", deb.string(), "Package"});
        const auto& ccode = ran_ccode.first;
        const auto& conffiles = ran_ccode.second;
        CHECK(ccode == 0);
        CHECK(conffiles.find("fuseguard") != std::string::npos);
        const auto ran_lcode = run({"/bin/sh", "-c", "dpkg-deb --ctrl-tarfile '" + deb.string() + "' | tar -xO ./conffiles"});
        const auto& lcode = ran_lcode.first;
        const auto& control = ran_lcode.second;
        CHECK(lcode == 0);
        if (prefix == "/usr") CHECK(control.find("/etc/fuseguard/fuseguard.yaml") != std::string::npos);
        // The installed binary checks the installed configuration.
        const auto ran_vcode = run({(root / usr / "bin/fuseguard").string(), "--check-config", (root / etc / "fuseguard/fuseguard.yaml").string()});
        const auto& vcode = ran_vcode.first;
        const auto& vout = ran_vcode.second;
        INFO(vout);
        CHECK(vcode == 0);
    }
}

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>

namespace {

// The receiving end of systemd's notify socket, as systemd would hold it.
struct NotifySocket {
    TempDir dir;
    int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    std::string path = (dir.path / "notify").string();
    NotifySocket() {
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
        REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        timeval tv{0, 200'000};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    ~NotifySocket() { ::close(fd); }
    // Messages until `needle` arrives or the deadline passes.
    bool wait_for(const std::string& needle, std::chrono::seconds deadline, std::string& seen) {
        const auto end = std::chrono::steady_clock::now() + deadline;
        char buf[4096];
        while (std::chrono::steady_clock::now() < end) {
            const auto n = ::recv(fd, buf, sizeof buf, 0);
            if (n > 0) seen += std::string(buf, static_cast<std::size_t>(n)) + "\n";
            if (seen.find(needle) != std::string::npos) return true;
        }
        return false;
    }
};

}  // namespace

TEST_SUITE("Install") {
    TEST_CASE("under systemd it notifies READY, feeds the watchdog from the loop and says STOPPING") {
        NotifySocket sock;
        TempDir dir;
        const auto file = dir.write("site.yaml", "site: { id: test, fuse_limit_a: 40 }\nocpp: { listen: 127.0.0.1:0 }\n"
                                                 "state_dir: " + (dir.path / "state").string() + "\n");
        ::setenv("NOTIFY_SOCKET", sock.path.c_str(), 1);
        ::setenv("WATCHDOG_USEC", "3000000", 1);
        ChildProcess fg({FUSEGUARD_BINARY, "--config", file});
        ::unsetenv("NOTIFY_SOCKET");
        ::unsetenv("WATCHDOG_USEC");
        std::string seen;
        CHECK(sock.wait_for("READY=1", 10s, seen));
        // Fed every second by the control loop's tick.
        CHECK(sock.wait_for("WATCHDOG=1", 5s, seen));
        fg.signal(SIGHUP);
        CHECK(sock.wait_for("RELOADING=1", 10s, seen));
        fg.signal(SIGTERM);
        CHECK(sock.wait_for("STOPPING=1", 10s, seen));
        CHECK(fg.wait_exit(10s) == 0);
        CHECK(fg.output().find("systemd watchdog: 3000 ms") != std::string::npos);
    }
}
