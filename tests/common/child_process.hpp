#pragma once
// Runs a program with its stdout and stderr captured, for tests that drive
// the real fuseguard binary. Waits are on conditions, each with a deadline.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

namespace fuseguard::test {

class ChildProcess {
public:
    explicit ChildProcess(const std::vector<std::string>& argv);
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    // Reads output until `needle` appears after `from` (an offset into
    // output()) or the deadline passes.
    bool wait_for(std::string_view needle, std::chrono::milliseconds deadline, std::size_t from = 0);
    // Reads everything it has written so far, without waiting.
    void read_available();
    // The exit code, or nothing if it is still running at the deadline.
    std::optional<int> wait_exit(std::chrono::milliseconds deadline);
    void signal(int signo) const;
    // Writes to its standard input (a line for the node peers' commands).
    void write(std::string_view text) const;
    bool running();
    const std::string& output() const { return output_; }
    pid_t pid() const { return pid_; }

private:
    void drain(int timeout_ms);
    pid_t pid_ = -1;
    int fd_ = -1;
    int stdin_fd_ = -1;
    std::optional<int> status_;
    std::string output_;
};

// Runs to completion (bounded by `deadline`) and returns {exit code, output}.
std::pair<int, std::string> run(const std::vector<std::string>& argv,
                                std::chrono::milliseconds deadline = std::chrono::seconds(10));

}  // namespace fuseguard::test
