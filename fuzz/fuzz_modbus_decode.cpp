// libFuzzer: what a meter or EMS answers, as fuseguard decodes it. The
// input picks a register map (a built-in meter profile, or a SunSpec meter
// model at an address the device claims), then supplies the words of every
// block fuseguard would read for it, as the device would answer them.
#include <cstdint>
#include <cstring>
#include <vector>

#include "drivers/modbus/register_map.hpp"

namespace {

using namespace fuseguard;

class Input {
public:
    Input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
    std::uint16_t word() {
        std::uint16_t w = 0;
        for (int i = 0; i < 2; ++i) w = static_cast<std::uint16_t>(w << 8 | (at_ < size_ ? data_[at_++] : 0));
        return w;
    }
    bool empty() const { return at_ >= size_; }

private:
    const std::uint8_t* data_;
    std::size_t size_, at_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Input in(data, size);
    const std::uint16_t choice = in.word();
    std::optional<modbus::RegisterMap> map;
    const auto& profiles = config::builtin_meter_profiles();
    if (choice % 2 == 0 && !profiles.empty()) {
        map = modbus::builtin_profile(profiles[(choice / 2) % profiles.size()]);
    } else {
        const std::uint16_t marker_hi = in.word(), marker_lo = in.word();
        if (!modbus::is_sunspec_marker(marker_hi, marker_lo) && choice % 4 == 1) return 0;
        const std::uint16_t model = in.word(), address = in.word();
        map = modbus::sunspec_meter_map(model, address);
    }
    if (!map) return 0;
    modbus::RawRegisters raw;
    for (const auto& block : modbus::plan_reads(*map)) {
        std::vector<std::uint16_t> words(block.count);
        for (auto& w : words) w = in.word();
        if (in.empty() && words.empty()) break;
        raw.store(block.function, block.start, words);
    }
    const auto decoded = modbus::decode(*map, raw);
    if (decoded.ok()) (void)decoded.find("current_a");
    return 0;
}
