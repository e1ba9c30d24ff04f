// An ssh:// Engine address (DOCKER_HOST or a Docker context's host) taken
// apart as the docker client takes it: Go's net/url parses it there, so
// the user and the host are percent-decoded by its rules, and what it
// refuses is refused here too, before ssh is run. strata refuses more than
// docker: a user or host that ssh would read as an option or the shell
// would split, since an error line quotes USER@HOST as a command to try.
#pragma once

#include <string>

namespace strata {

// The parts of ssh://[USER@]HOST[:PORT][/], decoded; user and port are ""
// when not given. HOST is a name, an address (an IPv6 one spelled in
// brackets, with its zone after "%25") or a Host of the user's ssh config.
struct SshAddress {
  std::string user, host, port;
};

// |address| ("ssh://…") taken apart and checked. Throws Error with one
// line for each mistake, |shown| naming the setting
// ("DOCKER_HOST=ssh://…"); a password is refused without being shown,
// and |where| names the setting then ("DOCKER_HOST").
SshAddress ParseSshAddress(const std::string& address, const std::string& shown,
                           const std::string& where);

}  // namespace strata
