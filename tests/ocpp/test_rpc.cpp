// OCPP-J framing: what is accepted, and the CALLERROR for what is not.
#include <doctest/doctest.h>

#include "drivers/ocpp/rpc.hpp"

using namespace fuseguard::ocpp;

namespace {
FrameFailure failure(std::string_view text, Version v = Version::V16) {
    auto r = parse_frame(text, v);
    REQUIRE(std::holds_alternative<FrameFailure>(r));
    return std::get<FrameFailure>(r);
}
}  // namespace

TEST_SUITE("Rpc") {
    TEST_CASE("a CALL, a CALLRESULT and a CALLERROR parse and serialize back") {
        auto r = parse_frame(R"([2,"19223201","BootNotification",{"chargePointVendor":"V","chargePointModel":"M"}])",
                             Version::V16);
        REQUIRE(std::holds_alternative<Frame>(r));
        const auto& call = std::get<Call>(std::get<Frame>(r));
        CHECK(call.id == "19223201");
        CHECK(call.action == "BootNotification");
        CHECK(call.payload["chargePointModel"] == "M");
        CHECK(serialize(Frame{call}, Version::V16) ==
              R"([2,"19223201","BootNotification",{"chargePointModel":"M","chargePointVendor":"V"}])");

        auto res = parse_frame(R"([3,"abc",{"status":"Accepted"}])", Version::V16);
        CHECK(std::get<CallResult>(std::get<Frame>(res)).payload["status"] == "Accepted");

        auto err = parse_frame(R"([4,"abc","NotSupported","no",{}])", Version::V16);
        CHECK(std::get<CallError>(std::get<Frame>(err)).code == ErrorCode::NotSupported);
    }

    TEST_CASE("error code names follow the version") {
        CHECK(name(ErrorCode::FormationViolation, Version::V16) == "FormationViolation");
        CHECK(name(ErrorCode::FormationViolation, Version::V201) == "FormatViolation");
        CHECK(name(ErrorCode::OccurrenceConstraintViolation, Version::V16) == "OccurenceConstraintViolation");
        CHECK(name(ErrorCode::OccurrenceConstraintViolation, Version::V201) == "OccurrenceConstraintViolation");
        CHECK(name(ErrorCode::MessageTypeNotSupported, Version::V16) == "ProtocolError");
        CHECK(serialize(Frame{CallError{"7", ErrorCode::NotImplemented, "unknown action", {}}}, Version::V201) ==
              R"([4,"7","NotImplemented","unknown action",{}])");
    }

    TEST_CASE("malformed frames get the CALLERROR the specification names") {
        CHECK(failure("not json").code == ErrorCode::FormationViolation);
        CHECK(failure("not json", Version::V201).code == ErrorCode::RpcFrameworkError);
        CHECK(failure("not json").id == "-1");
        CHECK(failure(R"({"a":1})").code == ErrorCode::FormationViolation);
        CHECK(failure(R"([2,5,"Heartbeat",{}])").description == "messageId must be a string");
        auto bad_payload = failure(R"([2,"m1","Heartbeat",[]])");
        CHECK(bad_payload.id == "m1");
        CHECK(bad_payload.code == ErrorCode::FormationViolation);
        CHECK(failure(R"([2,"m1","Heartbeat"])").id == "m1");
        auto unknown_type = failure(R"([7,"m2",{}])", Version::V201);
        CHECK(unknown_type.code == ErrorCode::MessageTypeNotSupported);
        CHECK(unknown_type.id == "m2");
        CHECK(failure(R"([7,"m2",{}])").code == ErrorCode::ProtocolError);
    }

    TEST_CASE("broken answers are refused but never answered") {
        CHECK_FALSE(failure(R"([3,"m1","x"])").answer);
        CHECK_FALSE(failure(R"([4,"m1",5,"d",{}])").answer);
    }

    TEST_CASE("frames over 64 KiB are refused before parsing") {
        std::string big = R"([2,"m","DataTransfer",{"vendorId":"v","data":")" + std::string(70 * 1024, 'x') + R"("}])";
        auto f = failure(big);
        CHECK(f.description.find("exceeds 65536") != std::string::npos);
    }

    TEST_CASE("deep nesting within 64 KiB does not crash the parser") {
        std::string deep(30000, '[');
        deep += std::string(30000, ']');
        CHECK(failure(deep).code == ErrorCode::FormationViolation);
    }

    TEST_CASE("call_result_id reads what parse_frame would, and only for a CALLRESULT") {
        const std::string id36(36, 'i');
        const std::vector<std::string> frames{
            R"([3,"abc",{"status":"Accepted"}])",
            R"( [ 3 , "m-1" , { "a" : [1, {"b": null}], "c": "x" } ] )",
            R"([3,"abc",{}])",
            "[3,\"" + id36 + "\",{}]",
            "[3,\"" + id36 + "i\",{}]",  // 37 characters
            R"([3,"",{}])",
            R"([3,"abc",{"status":"Accepted"])",   // broken payload
            R"([3,"abc",{"status":"Accepted"}]])",  // trailing bracket
            R"([3,"abc",{"status":}])",
            R"([3,"abc",[]])",
            R"([3,"abc","x"])",
            R"([3,"abc",{},{}])",
            R"([3,"abc"])",
            R"([3,7,{}])",
            R"(["3","abc",{}])",
            R"([3.0,"abc",{}])",
            R"([-3,"abc",{}])",
            R"([2,"abc","Heartbeat",{}])",
            R"([4,"abc","NotSupported","no",{}])",
            R"({"3":"abc"})",
            R"([[3],"abc",{}])",
            "",
            std::string(30000, '[') + std::string(30000, ']'),
        };
        for (const auto& text : frames) {
            CAPTURE(text);
            const auto parsed = parse_frame(text, Version::V16);
            const auto* frame = std::get_if<Frame>(&parsed);
            const auto* result = frame ? std::get_if<CallResult>(frame) : nullptr;
            const auto id = call_result_id(text);
            REQUIRE(id.has_value() == (result != nullptr));
            if (result) CHECK(*id == result->id);
        }
    }
}
