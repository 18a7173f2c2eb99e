// fuseguard-sim: a whole site to run fuseguard against, on loopback. A grid
// meter (Eastron SDM630 map) and an EMS as Modbus TCP servers, and OCPP
// stations whose cars come, charge at the limit fuseguard gives them and
// go. Usage: fuseguard-sim SIM.yaml   (examples/simulator/demo-sim.yaml)
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cmath>
#include <csignal>
#include <iostream>
#include <numbers>
#include <random>

#include "modbus/test_server.hpp"
#include "sim_config.hpp"
#include "sim_station.hpp"

using namespace fuseguard;

namespace {

std::uint16_t tcp_port(const config::PolledDevice& d) {
    if (const auto* tcp = std::get_if<config::TcpEndpoint>(&d.modbus.transport)) return tcp->port;
    throw std::runtime_error(d.id + ": the simulator serves Modbus TCP only");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2 || std::string(argv[1]) == "--help") {
        std::cerr << "usage: fuseguard-sim SIM.yaml   (see examples/simulator/demo-sim.yaml)\n";
        return argc == 2 ? 0 : 2;
    }
    try {
        const auto cfg = sim::load_sim_config(argv[1]);
        boost::asio::io_context io;
        std::mt19937 rng(cfg.seed);

        // The meters answer with the SDM630 map (phase currents as floats in
        // input registers 6, 8, 10); the EMS with 0.1 A units from holding
        // register 100, as examples/demo.yaml reads them.
        std::vector<std::unique_ptr<test::TestModbusServer>> meters, ems;
        for (const auto& m : cfg.site.meters) meters.push_back(std::make_unique<test::TestModbusServer>(tcp_port(m)));
        for (const auto& e : cfg.site.ems) ems.push_back(std::make_unique<test::TestModbusServer>(tcp_port(e)));

        std::vector<std::shared_ptr<sim::SimStation>> stations;
        for (const auto& c : cfg.site.chargers) {
            stations.push_back(std::make_shared<sim::SimStation>(io, cfg, c, cfg.ocpp201.count(c.id) > 0, rng()));
            stations.back()->start();
        }
        std::cerr << "fuseguard-sim: " << stations.size() << " stations (" << cfg.ocpp201.size()
                  << " on OCPP 2.0.1) -> ws://" << cfg.ocpp_host << ":" << cfg.ocpp_port << "/ocpp/<id>, "
                  << meters.size() << " meter(s), " << ems.size() << " EMS, seed " << cfg.seed << std::endl;

        std::normal_distribution<double> noise(0, 0.4);
        double t = 0;
        boost::asio::steady_timer tick(io);
        std::function<void()> every_second = [&] {
            t += 1;
            std::array<double, 3> total{};
            for (std::size_t p = 0; p < 3; ++p)
                total[p] = std::max(0.0, cfg.building_base_a[p] +
                                             cfg.building_swing_a * std::sin(2 * std::numbers::pi * t / cfg.building_period_s + static_cast<double>(p)) +
                                             noise(rng));
            for (auto& s : stations) {
                s->tick();
                const auto d = s->site_draw();
                for (std::size_t p = 0; p < 3; ++p) total[p] += d[p];
            }
            for (std::size_t i = 0; i < meters.size(); ++i) {
                const bool with_stations = cfg.site.meters[i].measures == config::MeterMeasures::Total;
                for (std::uint16_t p = 0; p < 3; ++p) {
                    double a = total[p];
                    if (!with_stations) a = std::max(0.0, cfg.building_base_a[p]);
                    meters[i]->set_float(true, static_cast<std::uint16_t>(6 + 2 * p), static_cast<float>(a));
                    meters[i]->set_float(true, static_cast<std::uint16_t>(0 + 2 * p), 230.0f);
                    meters[i]->set_float(true, static_cast<std::uint16_t>(12 + 2 * p), static_cast<float>(a * 230));
                }
            }
            for (auto& e : ems) {
                std::vector<std::uint16_t> words;
                for (double a : cfg.ems_reserved_a) words.push_back(static_cast<std::uint16_t>(std::lround(a * 10)));
                e->set_holding(100, words);
            }
            tick.expires_after(std::chrono::seconds(1));
            tick.async_wait([&](const boost::system::error_code& ec) {
                if (!ec) every_second();
            });
        };
        every_second();

        boost::asio::signal_set signals(io, SIGINT, SIGTERM);
        signals.async_wait([&](const boost::system::error_code&, int) {
            // What the stations had to write: renewals, changes, layers.
            sim::SimStation::ProfileWrites all;
            for (const auto& s : stations) {
                all.station_limit += s->profile_writes().station_limit;
                all.transaction += s->profile_writes().transaction;
                all.fallback_layer += s->profile_writes().fallback_layer;
                all.composite_reads += s->profile_writes().composite_reads;
            }
            const double hours = t / 3600.0, n = static_cast<double>(stations.size());
            if (hours > 0 && n > 0)
                std::cerr << "fuseguard-sim: profile writes in " << t << " s per station per hour: station limits "
                          << static_cast<double>(all.station_limit) / n / hours << ", transaction profiles "
                          << static_cast<double>(all.transaction) / n / hours << ", fallback layers "
                          << static_cast<double>(all.fallback_layer) / n / hours << "; composite schedules read "
                          << static_cast<double>(all.composite_reads) / n / hours << std::endl;
            std::cerr << "fuseguard-sim: stopping" << std::endl;
            io.stop();
        });
        io.run();
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "fuseguard-sim: " << e.what() << std::endl;
        return 1;
    }
}
