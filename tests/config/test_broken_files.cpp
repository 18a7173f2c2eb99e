// Every file in tests/config/broken/ is wrong in one way, named on its first
// line: `# expect: line=N key=KEY says=TEXT`. Loading it must fail with an
// error at exactly that line, for exactly that key, saying that text.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>

#include "config/load.hpp"

using namespace fuseguard::config;

TEST_SUITE("ConfigBrokenFiles") {
    TEST_CASE("each broken file fails at the line and key it names") {
        std::vector<std::filesystem::path> files;
        for (const auto& e : std::filesystem::directory_iterator(FUSEGUARD_SOURCE_DIR "/tests/config/broken"))
            if (e.path().extension() == ".yaml") files.push_back(e.path());
        std::sort(files.begin(), files.end());
        CHECK(files.size() >= 30);
        const std::regex header(R"(# expect: line=(\d+) key=(\S*) says=(.*))");
        for (const auto& f : files) {
            std::ifstream in(f);
            std::string first;
            std::getline(in, first);
            std::smatch m;
            REQUIRE_MESSAGE(std::regex_match(first, m, header), f.string() << ": no expect header");
            const int line = std::stoi(m[1]);
            const std::string key = m[2], says = m[3];
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
