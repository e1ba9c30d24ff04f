// Connections carried by a command instead of a socket of their own: the
// command's standard input and output are one end of a Unix socket
// connection, and HTTP goes over the other. docker reaches an Engine over
// ssh this way (`ssh HOST docker system dial-stdio`), and so does strata
// (see engine_source.cc; http_client.cc has curl use it).
//
// curl connects the socket itself, so the command cannot be handed one
// end of a socketpair: a CommandDialer gives curl a socket to connect to
// a listener of its own, on a fresh path in a private directory, and
// starts the command on the end the listener accepts. (curl 7.88 ignores
// CURL_SOCKOPT_ALREADY_CONNECTED, which would have let curl take a
// socketpair's end without connecting it.)
//
// The command's standard error goes to a file in memory, so that a
// connection that fails can say why in the command's own words
// ("Permission denied (publickey)."). It gets no other descriptor of
// strata's. Every command started is reaped when its socket is closed.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/fd.h"

namespace strata {

class RemovedOnStop;

// A command a CommandDialer started. Any thread may call it.
class CommandChild {
 public:
  CommandChild(pid_t pid, std::string program, int errors);

  pid_t pid() const { return pid_; }

  // True once the command has ended (reaped or not) with a status other
  // than 0, or by a signal: ssh, when it cannot log in or the remote
  // command fails. One that ended with 0 just followed the far end.
  bool Failed() const;

  // How the command ended, for an error line: its last line on standard
  // error that says something, quoted (`ssh said "…"`), else its exit
  // status (`ssh exited with status 255`); "" while it runs. The line is
  // the peer's text: control characters are dropped and it is cut short.
  std::string Account() const;

  // Waits for the command to end once its input is closed (ssh then
  // writes what it has to say and exits), up to a few seconds; then stops
  // it (SIGTERM, then SIGKILL) and reaps it.
  void End();

  // Has End stop the command at once, without the wait: the command did
  // not answer in time, and a closed input would not end it (ssh waiting
  // for a host that says nothing).
  void GiveUp() { given_up_ = true; }

 private:
  // Whether the command has ended, and then in |*code| its exit status
  // (-1 when a signal ended it) and in |*signal| that signal (else 0).
  bool Status(int* code, int* signal) const;

  // The lines the command wrote to standard error (the last few KiB).
  std::vector<std::string> LastLines() const;

  pid_t pid_;
  std::string program_;  // "ssh", as messages name it.
  Fd errors_;            // Its standard error, a memfd.
  mutable std::mutex mutex_;
  bool reaped_ = false;
  int status_ = 0;  // waitpid's, once reaped.
  std::atomic<bool> given_up_ = false;
};

// Starts a command (argv, argv[0] found through PATH) for each connection
// curl opens through it. Belongs to one transfer and its thread; the
// commands it starts outlive it, and end when curl closes their sockets
// (CloseCommandSocket).
class CommandDialer {
 public:
  explicit CommandDialer(std::vector<std::string> argv);
  ~CommandDialer();
  CommandDialer(const CommandDialer&) = delete;
  CommandDialer& operator=(const CommandDialer&) = delete;

  // A new socket for curl to connect, and in |*address| and |*length|
  // where to: a listener's path (|*address| has room for a sockaddr_un).
  // Returns -1 on failure, with error() saying why.
  int OpenSocket(sockaddr* address, unsigned* length);

  // Once the socket OpenSocket gave is connected: accepts it and starts
  // the command on the accepted end. True when nothing waits (a
  // connection curl kept from before). False on failure (error()).
  bool StartCommand();

  // Why the last OpenSocket or StartCommand failed.
  const std::string& error() const { return error_; }

  // The command StartCommand last started, or null.
  const std::shared_ptr<CommandChild>& child() const { return child_; }

 private:
  // Closes the listener and removes its path and directory.
  void RemoveListener();

  std::vector<std::string> argv_;
  std::string dir_;  // The listener's private directory, "" when none.
  Fd listener_;
  std::unique_ptr<RemovedOnStop> removed_on_stop_;  // For dir_.
  int waiting_ = -1;                                // The socket given to curl, not yet accepted.
  std::shared_ptr<CommandChild> child_;
  std::string error_;
};

// The command behind |socket| while the socket is open; null when it is
// not one a CommandDialer started a command for.
std::shared_ptr<CommandChild> CommandOfSocket(int socket);

// Closes |socket| and ends its command (CommandChild::End). A socket that
// is not a command's is just closed.
void CloseCommandSocket(int socket);

// True when |program| can be run: a path that is executable, or a name an
// executable file in PATH has.
bool CanRun(const std::string& program);

}  // namespace strata
