#include "hash_password.hpp"

#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <string>

#include "drivers/http/password.hpp"

namespace fuseguard::controller {

namespace {

// Echo off while the password is typed, back on however we leave.
class NoEcho {
public:
    NoEcho() {
        if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_) != 0) return;
        termios quiet = saved_;
        quiet.c_lflag &= static_cast<tcflag_t>(~ECHO);
        active_ = tcsetattr(STDIN_FILENO, TCSANOW, &quiet) == 0;
    }
    ~NoEcho() {
        if (active_) tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
    }
    bool active() const { return active_; }

private:
    termios saved_{};
    bool active_ = false;
};

}  // namespace

int hash_password_command(std::istream& in, std::ostream& out, std::ostream& err) {
    std::string password;
    {
        NoEcho quiet;
        if (quiet.active()) err << "password: " << std::flush;
        std::getline(in, password);
        if (quiet.active()) err << '\n';
    }
    if (password.empty()) {
        err << "fuseguard: an empty password cannot guard operator commands\n";
        return 1;
    }
    const auto hash = http::hash_password(password);
    if (!hash) {
        err << "fuseguard: this system cannot make a yescrypt hash; try `openssl passwd -6`\n";
        return 1;
    }
    out << *hash << '\n';
    return 0;
}

}  // namespace fuseguard::controller
