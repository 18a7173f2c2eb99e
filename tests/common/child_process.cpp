#include "child_process.hpp"

#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

namespace fuseguard::test {

using Clock = std::chrono::steady_clock;

ChildProcess::ChildProcess(const std::vector<std::string>& argv) {
    int fds[2], in[2];
    if (::pipe2(fds, O_CLOEXEC) != 0 || ::pipe2(in, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        // A test killed by ctest's timeout (or by hand) must not leave its
        // broker, fuseguard or simulator holding ports for the next run.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(127);
        // Its own process group, so that what it starts (a benchmark's
        // service under heaptrack or perf) goes with it.
        ::setpgid(0, 0);
        ::dup2(in[0], STDIN_FILENO);
        ::dup2(fds[1], STDOUT_FILENO);
        ::dup2(fds[1], STDERR_FILENO);
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    ::setpgid(pid_, pid_);  // as the child does: whichever runs first
    ::close(fds[1]);
    ::close(in[0]);
    fd_ = fds[0];
    stdin_fd_ = in[1];
}

ChildProcess::~ChildProcess() {
    if (running()) {
        ::kill(-pid_, SIGKILL);
        wait_exit(std::chrono::seconds(5));
    }
    if (fd_ >= 0) ::close(fd_);
    if (stdin_fd_ >= 0) ::close(stdin_fd_);
}

void ChildProcess::write(std::string_view text) const {
    // A child that has gone makes this an error, not a SIGPIPE for the suite.
    static const bool pipe_ignored = (::signal(SIGPIPE, SIG_IGN), true);
    (void)pipe_ignored;
    while (!text.empty()) {
        const ssize_t n = ::write(stdin_fd_, text.data(), text.size());
        if (n <= 0) throw std::runtime_error("cannot write to the child's stdin");
        text.remove_prefix(static_cast<std::size_t>(n));
    }
}

void ChildProcess::drain(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return;
    char buf[4096];
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n > 0) output_.append(buf, static_cast<std::size_t>(n));
}

void ChildProcess::read_available() {
    for (std::size_t before = output_.size() + 1; output_.size() != before;) {
        before = output_.size();
        drain(0);
    }
}

bool ChildProcess::wait_for(std::string_view needle, std::chrono::milliseconds deadline, std::size_t from) {
    const auto until = Clock::now() + deadline;
    while (output_.find(needle, from) == std::string::npos) {
        if (Clock::now() >= until) return false;
        drain(20);
    }
    return true;
}

std::optional<int> ChildProcess::wait_exit(std::chrono::milliseconds deadline) {
    const auto until = Clock::now() + deadline;
    while (!status_) {
        int st = 0;
        const pid_t r = ::waitpid(pid_, &st, WNOHANG);
        if (r == pid_) {
            status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            break;
        }
        if (Clock::now() >= until) return std::nullopt;
        drain(20);
    }
    drain(0);
    return status_;
}

void ChildProcess::signal(int signo) const { ::kill(pid_, signo); }

bool ChildProcess::running() { return !wait_exit(std::chrono::milliseconds(0)).has_value(); }

std::pair<int, std::string> run(const std::vector<std::string>& argv, std::chrono::milliseconds deadline) {
    ChildProcess p(argv);
    auto code = p.wait_exit(deadline);
    // Read what is left once it has exited.
    p.wait_for("\x01never", std::chrono::milliseconds(50));
    return {code.value_or(-1), p.output()};
}

}  // namespace fuseguard::test
