#pragma once
// A throwaway CA with a server certificate (CN 127.0.0.1) and client
// certificates (CN = a station id), made by openssl for each test run.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "common/child_process.hpp"

namespace fuseguard::test {

// A throwaway CA, a server certificate and client certificates.
struct Certificates {
    std::filesystem::path dir;
    Certificates() {
        char tmpl[] = "/tmp/fuseguard-tls-XXXXXX";
        dir = ::mkdtemp(tmpl);
        openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                 path("ca.key"), "-out", path("ca.pem"), "-days", "2", "-subj", "/CN=fuseguard test CA"});
        issue("server", "127.0.0.1");
        issue("CP1", "CP1");
        issue("CP2", "CP2");
    }
    ~Certificates() { std::filesystem::remove_all(dir); }
    std::string path(const std::string& name) const { return (dir / name).string(); }

private:
    void issue(const std::string& name, const std::string& cn) {
        openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                 path(name + ".key"), "-out", path(name + ".csr"), "-subj", "/CN=" + cn});
        openssl({"x509", "-req", "-in", path(name + ".csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
                 "-CAcreateserial", "-out", path(name + ".pem"), "-days", "2"});
    }
    static void openssl(std::vector<std::string> args) {
        args.insert(args.begin(), "/usr/bin/openssl");
        // Not a structured binding: clang 14 cannot capture one in REQUIRE_MESSAGE's lambda.
        const auto result = run(args);
        REQUIRE_MESSAGE(result.first == 0, result.second);
    }
};

}  // namespace fuseguard::test
