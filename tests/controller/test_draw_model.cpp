// What a station's report stands for behind a `total` meter
// (controller/station_draw.cpp), on the controller itself in simulated
// time: every event at a chosen moment, so the cases where a report and
// the limits around it interleave are exact, not left to timers.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>

#include <deque>
#include <memory>

#include "config/load.hpp"
#include "controller/catalogue.hpp"
#include "controller/site_controller.hpp"
#include "controller/uptime.hpp"

using namespace fuseguard;
using namespace fuseguard::controller;

namespace {

// Two 32 A stations behind a 40 A fuse with a total meter; their failsafes
// verified, so until they connect they count at their 6 A fallbacks.
class SimulatedSite {
public:
    SimulatedSite() {
        const auto loaded = config::load_string(
            "site: { id: model, fuse_limit_a: 40 }\n"
            "meters:\n"
            "  - { id: grid, measures: total, modbus: { host: 127.0.0.1, port: 1 }, "
            "registers: { current_a: { address: 1, per_phase: true } }, fallback_a: 20 }\n"
            "chargers:\n"
            "  - { id: S0, max_current_a: 32, fallback_current_a: 6 }\n"
            "  - { id: S1, max_current_a: 32, fallback_current_a: 6 }\n"
            "ocpp: { listen: 127.0.0.1:0 }\n",
            "<draw-model>");
        REQUIRE(loaded.ok());
        cfg_ = *loaded.config;
        Clocks clocks{[this] { return steady0_ + since_start(); }, [this] { return wall0_ + since_start(); }};
        site_ = std::make_unique<SiteController>(
            io_, cfg_, catalogue_, uptime_,
            [this](const std::string& id, double amps) {
                last_limit_[id] = amps;
                answers_.push_back(ocpp::LimitAnswered{id, amps, true, "Accepted", false});
                return true;
            },
            [] {}, nullptr, clocks);
        for (const char* id : {"S0", "S1"}) station(ocpp::FailsafeChecked{id, ocpp::FailsafeVerdict::Verified, ""});
    }

    void at(double t) { now_ = t; }
    // Delivered at once; the station answers every limit at once, accepted.
    void station(const ocpp::StationEvent& e) {
        site_->on_station_event(e);
        settle();
    }
    void charging(const std::string& id) {
        station(ocpp::StationConnected{id, ocpp::Version::V16});
        station(ocpp::ConnectorStatusChanged{id, 1, "Charging", "NoError", std::nullopt, std::nullopt});
    }
    void report(const std::string& id, double amps) { station(ocpp::DrawMeasured{id, 1, {amps, amps, amps}}); }
    void meter(double amps) {
        modbus::DeviceEvent e;
        e.kind = modbus::DeviceKind::Meter;
        e.id = "grid";
        e.reading = modbus::Reading{};
        e.reading->current_a = {amps, amps, amps};
        if (!online_) e.transition = modbus::Transition{policy::DeviceState::Unknown, policy::DeviceState::Online, "first"};
        online_ = true;
        e.at = wall0_ + since_start();
        e.at_mono = steady0_ + since_start();
        site_->on_device_event(e);
        settle();
    }
    double limit(const std::string& id) { return last_limit_.at(id); }
    double non_ev() const { return site_->node_figures()[0].non_ev[policy::Phase::L1].amps(); }

private:
    std::chrono::nanoseconds since_start() const {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(now_));
    }
    void settle() {
        do {
            io_.restart();
            io_.poll();
            auto answers = std::move(answers_);
            answers_.clear();
            for (auto& a : answers) site_->on_station_event(a);
        } while (!answers_.empty());
        io_.restart();
        io_.poll();
    }

    double now_ = 0;
    const std::chrono::steady_clock::time_point steady0_ = std::chrono::steady_clock::now();
    const std::chrono::system_clock::time_point wall0_ = std::chrono::system_clock::now();
    boost::asio::io_context io_;
    config::Config cfg_;
    Catalogue catalogue_;
    UptimeTracker uptime_{":memory:", std::chrono::system_clock::now()};
    std::unique_ptr<SiteController> site_;
    std::deque<ocpp::LimitAnswered> answers_;
    std::map<std::string, double> last_limit_;
    bool online_ = false;
};

}  // namespace

TEST_SUITE("Controller") {
    TEST_CASE("a report sampled before its vehicle followed a lowering does not stand after a raise") {
        SimulatedSite site;
        site.meter(4);  // the building; nothing charges yet
        site.charging("S0");
        REQUIRE(site.limit("S0") == 30);  // 40 - 4 - S1's fallback
        site.at(5);
        site.report("S0", 28);
        site.at(6);
        site.meter(4 + 28);
        CHECK(site.non_ev() == doctest::Approx(4));
        // S1 comes: S0 goes down to its share. Its next report was sampled
        // before its car followed; then S1 leaves and S0 is raised to its maximum,
        // all between two readings of the meter.
        site.at(10);
        site.charging("S1");
        REQUIRE(site.limit("S0") == 18);
        site.at(10.5);
        site.report("S0", 28);
        site.at(10.8);
        site.station(ocpp::ConnectorStatusChanged{"S1", 1, "Available", "NoError", std::nullopt, std::nullopt});
        REQUIRE(site.limit("S0") == 32);
        // The car followed the lowering and has not followed the raise yet:
        // the meter sees the building and 18 A. Taking the 28 A report off it
        // would put the building at -6 A, and give that much away.
        site.at(11.5);
        site.meter(4 + 18);
        CHECK(site.non_ev() >= 4);
    }
}
