// Every file in tests/config/broken/ is wrong in one way, named on its first
// line: `# expect: line=N key=KEY says=TEXT`. Loading it must fail with an
// error at exactly that line, for exactly that key, saying that text.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "config/load.hpp"

using namespace fuseguard::config;

TEST_SUITE("ConfigBrokenFiles") {
    TEST_CASE("each broken file fails at the line and key it names") {
        std::vector<std::filesystem::path> files;
        for (const auto& e : std::filesystem::directory_iterator(FUSEGUARD_SOURCE_DIR "/tests/config/broken"))
            if (e.path().extension() == ".yaml") files.push_back(e.path());
        std::sort(files.begin(), files.end());
        CHECK(files.size() >= 30);
        for (const auto& f : files) {
            std::ifstream in(f);
            std::string first;
            std::getline(in, first);
            const auto at_line = first.find("# expect: line="), at_key = first.find(" key="),
                       at_says = first.find(" says=");
            REQUIRE_MESSAGE((at_line == 0 && at_key != std::string::npos && at_says != std::string::npos),
                            f.string() << ": no expect header");
            const int line = std::stoi(first.substr(15, at_key - 15));
            const std::string key = first.substr(at_key + 5, at_says - at_key - 5), says = first.substr(at_says + 6);
            const auto r = load_file(f.string());
            INFO(f.filename().string() << " expects line " << line << " key '" << key << "' saying '" << says
                                       << "'; got:\n"
                                       << to_string(r.errors));
            CHECK_FALSE(r.ok());
            const bool found = std::any_of(r.errors.begin(), r.errors.end(), [&](const Diagnostic& d) {
                return d.line == line && d.key == key && d.message.find(says) != std::string::npos &&
                       d.file == f.string();
            });
            CHECK(found);
        }
    }
}
