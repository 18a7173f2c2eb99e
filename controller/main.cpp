// fuseguard: command line entry point.
#include <boost/asio/io_context.hpp>
#include <iostream>
#include <string>
#include <string_view>

#include "check_config.hpp"
#include "config/load.hpp"
#include "drivers/log.hpp"
#include "file_limit.hpp"
#include "hash_password.hpp"
#include "heap_tuning.hpp"
#include "probe.hpp"
#include "service.hpp"

namespace {

constexpr std::string_view kDefaultConfig = "/etc/fuseguard/fuseguard.yaml";

void usage(std::ostream& out) {
    out << "usage: fuseguard [--config FILE] [--view]\n"
           "       fuseguard --check-config FILE\n"
           "       fuseguard [--config FILE] --probe meter:ID|ems:ID [--verbose]\n"
           "       fuseguard --hash-password < password\n"
           "       fuseguard --version | --help\n\n"
           "Keeps an EV charging site under its grid fuse: polls meters and the EMS\n"
           "over Modbus, manages OCPP charging stations, and publishes to MQTT.\n\n"
           "  --config FILE        run with this configuration (default "
        << kDefaultConfig
        << ")\n"
           "  --check-config FILE  validate FILE, print the worst case per fuse and phase,\n"
           "                       exit 0 if valid and 1 if not\n"
           "  --probe DEVICE       read one meter or EMS once with its configured settings,\n"
           "                       print its values (raw registers with --verbose); exit 0\n"
           "                       on a good reading, 1 otherwise\n"
           "  --hash-password      read a password on stdin, print its hash for\n"
           "                       http.login.password_hash\n"
           "  --view               draw the site on the terminal every second (the log\n"
           "                       stays on stderr)\n"
           "  --version            print the version\n"
           "  --help               print this help\n\n"
           "Signals: SIGHUP reloads the configuration (an invalid file keeps the\n"
           "running one); SIGTERM and SIGINT stop cleanly.\n";
}

}  // namespace

int main(int argc, char** argv) {
    fuseguard::controller::keep_freed_memory();
    std::string config_path(kDefaultConfig);
    std::string probe_target;
    bool verbose = false, view = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
        if (arg == "--help" || arg == "-h") {
            usage(std::cout);
            return 0;
        }
        if (arg == "--version") {
            std::cout << "fuseguard " << FUSEGUARD_VERSION << "\n";
            return 0;
        }
        if (arg == "--hash-password") return fuseguard::controller::hash_password_command(std::cin, std::cout, std::cerr);
        if (arg == "--check-config") {
            const char* file = value();
            if (!file) {
                std::cerr << "fuseguard: --check-config needs a FILE\n";
                return 2;
            }
            return fuseguard::controller::check_config(file, std::cout, std::cerr);
        }
        if (arg == "--probe") {
            const char* target = value();
            if (!target) {
                std::cerr << "fuseguard: --probe needs meter:ID or ems:ID\n";
                return 2;
            }
            probe_target = target;
            continue;
        }
        if (arg == "--view") {
            view = true;
            continue;
        }
        if (arg == "--verbose" || arg == "-v") {
            verbose = true;
            continue;
        }
        if (arg == "--config") {
            const char* file = value();
            if (!file) {
                std::cerr << "fuseguard: --config needs a FILE\n";
                return 2;
            }
            config_path = file;
            continue;
        }
        std::cerr << "fuseguard: unknown argument '" << arg << "'\n\n";
        usage(std::cerr);
        return 2;
    }

    auto loaded = fuseguard::config::load_file(config_path);
    for (const auto& w : loaded.warnings) fuseguard::log::plain(w.to_string());
    if (!loaded.ok()) {
        for (const auto& e : loaded.errors) fuseguard::log::plain(e.to_string());
        fuseguard::log::error("not starting: " + config_path + " is not valid");
        return 1;
    }
    if (!probe_target.empty())
        return fuseguard::controller::probe(*loaded.config, probe_target, verbose, std::cout, std::cerr);

    fuseguard::controller::ensure_open_files(
        fuseguard::controller::open_files_needed(loaded.config->chargers.size(), loaded.config->backend.has_value()));
    boost::asio::io_context io;
    fuseguard::controller::Service service(io, config_path, std::move(*loaded.config));
    service.start();
    if (view) service.show_view();
    fuseguard::log::info(std::string("fuseguard ") + FUSEGUARD_VERSION + " running with " + config_path);
    io.run();
    fuseguard::log::info("stopped");
    return 0;
}
