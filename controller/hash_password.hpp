#pragma once
// `fuseguard --hash-password`: reads a password on stdin (not echoed on a
// terminal) and prints the yescrypt hash to put in http.login.password_hash.
#include <iosfwd>

namespace fuseguard::controller {

// Exit status: 0 with the hash printed, 1 if none could be made.
int hash_password_command(std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace fuseguard::controller
