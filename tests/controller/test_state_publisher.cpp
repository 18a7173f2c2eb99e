// What the state publisher hands out (controller/state_publisher.cpp): a
// topic goes out when its body changed, and not again while it stays the
// same, even when something about its device was heard (it compares a hash
// of each body, not the text). In process, on a clock that stands still, so
// that no uptime refresh comes between.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <map>
#include <string>
#include <thread>

#include "config/load.hpp"
#include "controller/catalogue.hpp"
#include "controller/site_controller.hpp"
#include "controller/state_publisher.hpp"
#include "controller/uptime.hpp"

using namespace fuseguard;

namespace {

struct PublishedSite {
    boost::asio::io_context io;
    controller::Catalogue catalogue;
    const std::chrono::steady_clock::time_point steady0 = std::chrono::steady_clock::now();
    const std::chrono::system_clock::time_point wall0 = std::chrono::system_clock::now();
    controller::UptimeTracker uptime{":memory:", wall0};
    config::Config cfg = *config::load_string(
                              "site: { id: pub, fuse_limit_a: 63 }\n"
                              "chargers:\n"
                              "  - { id: A, max_current_a: 32, fallback_current_a: 6 }\n"
                              "  - { id: B, max_current_a: 32, fallback_current_a: 6 }\n"
                              "ocpp: { listen: 127.0.0.1:0 }\nstate_dir: /tmp\n",
                              "pub.yaml")
                              .config;
    int changes = 0;  // times the site said it changed (which arms a flush)
    controller::SiteController site{io,       cfg, catalogue, uptime, [](const std::string&, double) { return true; },
                                    [this] { ++changes; }, nullptr,
                                    controller::Clocks{[this] { return steady0; }, [this] { return wall0; }}};
    std::map<std::string, int> sent;  // publications by topic
    std::map<std::string, std::string> text;  // the last payload by topic
    controller::StatePublisher publisher{io, site, {[this](const std::string& topic, const std::string& payload) {
                                             ++sent[topic];
                                             text[topic] = payload;
                                         }}};

    // Runs what the events posted (a re-plan they asked for, if any).
    void settle() {
        io.restart();
        io.poll();
    }

    // What one flush sends, by topic.
    std::map<std::string, int> flush() {
        sent.clear();
        publisher.flush();
        return sent;
    }
};

}  // namespace

TEST_SUITE("Controller") {
    // A reload replaces the publisher whenever the signal comes. If its
    // coalescing timer has expired by then and its handler is already
    // queued, destroying the timer does not cancel that handler: it runs,
    // without an error, on a publisher that is gone (the soak found it,
    // seed 580295895; a use after free the sanitizer pass reports, and that
    // here would also publish through a dead outlet).
    TEST_CASE("a publisher replaced while its expired timer's handler waits to run publishes nothing more") {
        PublishedSite p;
        int late = 0;
        auto doomed = std::make_unique<controller::StatePublisher>(
            p.io, p.site, std::vector<controller::StatePublisher::Outlet>{[&](const std::string&, const std::string&) { ++late; }});
        doomed->changed();
        // Busy past the coalescing window: the reactor, run next, finds the
        // timer expired and queues its handler behind the reset posted here.
        boost::asio::post(p.io, [&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(120));
            boost::asio::post(p.io, [&] { doomed.reset(); });
        });
        p.io.run_for(std::chrono::milliseconds(400));
        CHECK(doomed == nullptr);
        CHECK(late == 0);
    }

    TEST_CASE("a charger's topic goes out when its body changed, and not for a report that changes nothing") {
        PublishedSite p;
        CHECK(p.flush().count("chargers/A") == 1);  // the first flush sends everything
        // Stamped with when it went out: ts is added to the text, last.
        const auto body = nlohmann::json::parse(p.text["chargers/A"]);
        CHECK(body["state"] == "unknown");
        CHECK(body["ts"].get<std::string>().back() == 'Z');
        CHECK(nlohmann::json::parse(p.text["site"])["ts"].is_string());
        CHECK(p.flush().empty());                    // nothing changed since

        p.site.on_station_event(ocpp::StationConnected{"A", ocpp::Version::V16});
        p.site.on_station_event(ocpp::DrawMeasured{"A", 1, {5, 5, 5}});
        CHECK(p.flush().count("chargers/A") == 1);

        // The same draw again: A was heard from (its body is built again),
        // but what it shows is the same, so nothing goes out.
        p.site.on_station_event(ocpp::DrawMeasured{"A", 1, {5, 5, 5}});
        const auto same = p.flush();
        CHECK(same.count("chargers/A") == 0);
        CHECK(same.count("chargers/B") == 0);

        p.site.on_station_event(ocpp::DrawMeasured{"A", 1, {6, 6, 6}});
        const auto changed = p.flush();
        CHECK(changed.count("chargers/A") == 1);
        CHECK(changed.count("chargers/B") == 0);
    }

    // Most reports repeat the last one at a steady draw (stations that
    // report whole or tenth amperes, 500 a second at 5,000 stations): such
    // a report changes nothing shown, so it neither arms a publication nor
    // makes the next flush build the station's body again.
    TEST_CASE("a report that repeats the last one arms no publication") {
        PublishedSite p;
        p.site.on_station_event(ocpp::StationConnected{"A", ocpp::Version::V16});
        p.site.on_station_event(ocpp::DrawMeasured{"A", 1, {5, 5, 5}});
        p.settle();
        p.flush();
        const int before = p.changes;
        p.site.on_station_event(ocpp::DrawMeasured{"A", 1, {5, 5, 5}});
        p.settle();
        CHECK(p.changes == before);
        p.site.on_station_event(ocpp::DrawMeasured{"A", 1, {5, 5, 5.1}});
        p.settle();
        CHECK(p.changes > before);
        CHECK(p.flush().count("chargers/A") == 1);
    }

    // A draw that moved changes no limit in force, so SPEC 1 holds without a
    // plan: it is shown at once and planned with the next tick (a whole
    // allocation per MeterValues was 40 % of a core at 5,000 stations).
    TEST_CASE("a draw that moved is shown at once and planned with the next tick") {
        PublishedSite p;
        p.site.on_station_event(ocpp::StationConnected{"A", ocpp::Version::V16});
        p.site.on_station_event(ocpp::DrawMeasured{"A", 1, {5, 5, 5}});
        p.settle();
        const auto plans = p.site.plan_latency().count();
        const int changes = p.changes;
        p.site.on_station_event(ocpp::DrawMeasured{"A", 1, {7, 7, 7}});
        p.settle();
        CHECK(p.site.plan_latency().count() == plans);
        CHECK(p.changes > changes);
        p.site.tick();
        CHECK(p.site.plan_latency().count() == plans + 1);
    }
}
