// The notification catalogue: what ships covers every code the spec names,
// and an installer's file extends or replaces it safely.
#include <doctest/doctest.h>

#include "common/temp_dir.hpp"
#include "controller/catalogue.hpp"

using namespace fuseguard::controller;
using fuseguard::test::TempDir;

namespace {
Catalogue builtin() {
    Catalogue c;
    REQUIRE(!c.merge_file(FUSEGUARD_SOURCE_DIR "/controller/data/notifications.yaml"));
    return c;
}
}  // namespace

TEST_SUITE("Catalogue") {
    TEST_CASE("every OCPP 1.6 errorCode, ChargeX code, KSGA number and CTEK code has a text") {
        const auto c = builtin();
        for (const char* code : {"ConnectorLockFailure", "EVCommunicationError", "GroundFailure", "HighTemperature",
                                 "InternalError", "LocalListConflict", "NoError", "OtherError", "Unknown",
                                 "OverCurrentFailure", "OverVoltage", "PowerMeterFailure", "PowerSwitchFailure",
                                 "ReaderFailure", "ResetFailure", "UnderVoltage", "WeakSignal"}) {
            CAPTURE(code);
            const auto* e = c.ocpp_error(code);
            REQUIRE(e);
            CHECK(!e->title.empty());
            CHECK(!e->description.empty());
            if (std::string(code) != "NoError") CHECK(!e->steps.empty());
        }
        for (int i = 1; i <= 26; ++i) {
            char code[16];  // room for any int: GCC at -O1 does not see that i <= 26
            std::snprintf(code, sizeof code, "CX%03d", i);
            CAPTURE(code);
            CHECK(c.vendor_code(code));
        }
        for (const char* n : {"101", "106", "201", "205", "301", "304", "401", "407", "901", "912"}) CHECK(c.vendor_code(n));
        for (const char* v : {"CBC_LOOP", "EVOverCurrent", "MCU_NOT_RESPONDING", "NgErrorOfflineEMS", "OcuErrorRCMDC",
                              "UNKNOWN_ERROR", "VentilationNotSupported"})
            CHECK(c.vendor_code(v));
        for (const char* d : {"ChargingStationOffline", "MeterOffline", "MeterUnknown", "EMSOffline", "EMSUnknown"})
            CHECK(c.device(d));
        // EV-caused errors are not the station's downtime.
        CHECK(c.ocpp_error("EVCommunicationError")->category == "ev_handshake");
    }

    TEST_CASE("KSGA numbers with a module or connector suffix find their basic number") {
        const auto c = builtin();
        REQUIRE(c.vendor_code("30205"));  // fifth power module
        CHECK(c.vendor_code("30205")->title == c.vendor_code("302")->title);
        CHECK(c.vendor_code("90302"));    // second connector position error
        CHECK(c.vendor_code("404109"));   // DIN 70121 ChargeParameterDiscovery
        CHECK(c.vendor_code("1234567") == nullptr);
        CHECK(c.vendor_code("99") == nullptr);
        CHECK(c.vendor_code("555") == nullptr);
    }

    TEST_CASE("an installer's file replaces and adds entries - a broken one changes nothing") {
        auto c = builtin();
        const auto before = c.size();
        TempDir dir;
        const auto extra = dir.write("notifications.yaml",
                                     "vendor_codes:\n"
                                     "  E042: {title: Cable lock motor, severity: error, category: connector_lock,\n"
                                     "         description: The lock motor does not move., steps: [Call the partner.]}\n"
                                     "ocpp_errors:\n"
                                     "  WeakSignal: {title: Bad reception, severity: info, category: communication,\n"
                                     "               description: x, steps: []}\n");
        REQUIRE(!c.merge_file(extra));
        CHECK(c.size() == before + 1);
        REQUIRE(c.vendor_code("E042"));
        CHECK(c.vendor_code("E042")->category == "connector_lock");
        CHECK(c.ocpp_error("WeakSignal")->title == "Bad reception");

        const auto broken = dir.write("broken.yaml", "vendor_codes:\n  E043: {title: x, severity: catastrophic}\n");
        const auto err = c.merge_file(broken);
        REQUIRE(err);
        CHECK(err->find("E043") != std::string::npos);
        CHECK(err->find("severity") != std::string::npos);
        CHECK(c.vendor_code("E043") == nullptr);
        CHECK(c.size() == before + 1);
        CHECK(c.merge_file(dir.write("notyaml.yaml", "vendor_codes: [unclosed\n")));
        CHECK(c.merge_file((dir.path / "missing.yaml").string()));
        CHECK(c.size() == before + 1);
    }
}
