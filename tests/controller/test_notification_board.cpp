// The notification board (controller/notification_board.cpp): what a
// station's boot or reconnection clears (seed 000: its errors) and what it
// does not (fuseguard's own findings about it).
#include <doctest/doctest.h>

#include "controller/notification_board.hpp"

using fuseguard::controller::Notification;
using fuseguard::controller::NotificationBoard;

namespace {
Notification note(const std::string& device, const std::string& code) {
    Notification n;
    n.id = device + "/" + code;
    n.device = device;
    n.code = code;
    return n;
}
}  // namespace

TEST_SUITE("Controller") {
    // CI found it (test_failsafe_verification, "a station found ignoring its
    // limit ... after a restart"): the reconnection cleared LimitIgnored, the
    // list went out without it, and the next re-plan raised it again.
    TEST_CASE("a station's reconnection clears its errors and keeps what fuseguard found about it") {
        NotificationBoard board;
        for (const char* code : {"GroundFailure", "ChargingStationOffline", "LimitIgnored", "LimitRejected",
                                 "FallbackUnverified", "BackendOffline"})
            board.raise(note("charger:A", code));
        board.raise(note("charger:B", "GroundFailure"));
        const auto revision = board.revision();
        CHECK(board.clear_device("charger:A", true));
        CHECK(board.revision() != revision);
        CHECK(board.active().count("charger:A/GroundFailure") == 0);
        CHECK(board.active().count("charger:A/ChargingStationOffline") == 1);  // keep_liveness
        for (const char* code : {"LimitIgnored", "LimitRejected", "FallbackUnverified", "BackendOffline"})
            CHECK_MESSAGE(board.active().count(std::string("charger:A/") + code) == 1, code);
        CHECK(board.active().count("charger:B/GroundFailure") == 1);
        CHECK(board.clear_device("charger:A", false));
        CHECK(board.active().count("charger:A/ChargingStationOffline") == 0);
        CHECK(board.active().count("charger:A/LimitIgnored") == 1);
    }
}
