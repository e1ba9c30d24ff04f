#include "source/command_socket.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <map>
#include <utility>

#include "base/output_file.h"
#include "base/stop_signals.h"
#include "source/peer_text.h"

extern char** environ;

namespace strata {

namespace {

// How long a command whose input is closed gets to end on its own: ssh
// then tells the far end, which ends the remote command, and exits; a
// round trip on a slow link. Then SIGTERM, and as long again for that.
constexpr int kEndMilliseconds = 5000;

// How much of the end of the command's standard error is read: ssh's
// reasons are one short line (which QuotableLine cuts shorter).
constexpr off_t kTailBytes = 4096;

// What ssh writes on every first connection to a host (with
// StrictHostKeyChecking accept-new or no), which never says why one failed.
constexpr std::string_view kHostKeyNote = "Warning: Permanently added ";

// The commands whose sockets are open, by socket. Never destroyed: curl
// closes the connections a thread kept (and so calls CloseCommandSocket)
// as late as the end of the process.
class CommandRegistry {
 public:
  void Add(int socket, std::shared_ptr<CommandChild> child) {
    std::lock_guard lock(mutex_);
    by_socket_[socket] = std::move(child);
  }

  std::shared_ptr<CommandChild> Find(int socket) {
    std::lock_guard lock(mutex_);
    auto found = by_socket_.find(socket);
    return found == by_socket_.end() ? nullptr : found->second;
  }

  std::shared_ptr<CommandChild> Take(int socket) {
    std::lock_guard lock(mutex_);
    auto found = by_socket_.find(socket);
    if (found == by_socket_.end()) return nullptr;
    std::shared_ptr<CommandChild> child = std::move(found->second);
    by_socket_.erase(found);
    return child;
  }

 private:
  std::mutex mutex_;
  std::map<int, std::shared_ptr<CommandChild>> by_socket_;
};

CommandRegistry& Registry() {
  static CommandRegistry* registry = new CommandRegistry;
  return *registry;
}

// |fd|, moved above the standard descriptors when it is one of them
// (strata started with one closed), so that the child's dup2 calls
// cannot overwrite one they still need.
Fd AboveStdio(int fd) {
  if (fd < 0 || fd > 2) return Fd(fd);
  Fd low(fd);
  return Fd(fcntl(fd, F_DUPFD_CLOEXEC, 3));
}

// Starts |argv| with |socket| as its standard input and output and
// |errors| as its standard error; returns 0 or an errno value.
int Spawn(const std::vector<std::string>& argv, int socket, int errors, pid_t* pid) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, socket, 0);
  posix_spawn_file_actions_adddup2(&actions, socket, 1);
  posix_spawn_file_actions_adddup2(&actions, errors, 2);
  // Nothing else of strata's: a descriptor another thread opened without
  // close-on-exec would leak into the command otherwise.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);

  // A thread may hold signals back (StopSignalsHeld); the command must
  // not inherit that.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);

  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  int result = posix_spawnp(pid, args[0], &actions, &attributes, args.data(), environ);
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  return result;
}

// Waits up to |milliseconds| for |pid| to end; false when it has not, or
// when it cannot be waited for without reaping it.
bool WaitForEnd(pid_t pid, int milliseconds) {
  // Through syscall(): glibc 2.36's <sys/pidfd.h> does not declare
  // pidfd_open for C++.
  Fd process(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (process.get() < 0) return false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(milliseconds);
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd ready{process.get(), POLLIN, 0};
    int result = poll(&ready, 1, static_cast<int>(std::max<int64_t>(left.count(), 0)));
    if (result >= 0 || errno != EINTR) return result > 0;
  }
}

}  // namespace

CommandChild::CommandChild(pid_t pid, std::string program, int errors)
    : pid_(pid), program_(std::move(program)), errors_(errors) {}

bool CommandChild::Status(int* code, int* signal) const {
  // From waitpid's status once reaped, else from a look that leaves it
  // to be reaped.
  std::lock_guard lock(mutex_);
  if (reaped_) {
    *code = WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
    *signal = WIFSIGNALED(status_) ? WTERMSIG(status_) : 0;
    return true;
  }
  siginfo_t info{};
  if (waitid(P_PID, pid_, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid != pid_)
    return false;
  *code = info.si_code == CLD_EXITED ? info.si_status : -1;
  *signal = info.si_code == CLD_EXITED ? 0 : info.si_status;
  return true;
}

bool CommandChild::Failed() const {
  int code = 0, signal = 0;
  return Status(&code, &signal) && code != 0;
}

std::string CommandChild::Account() const {
  int code = 0, signal = 0;
  if (!Status(&code, &signal)) return "";
  std::vector<std::string> lines = LastLines();
  for (auto line = lines.rbegin(); line != lines.rend(); ++line)
    if (!line->empty() && !line->starts_with(kHostKeyNote))
      return fmt::format("{} said \"{}\"", program_, *line);
  if (code >= 0) return fmt::format("{} exited with status {}", program_, code);
  return fmt::format("{} was ended by signal {} ({})", program_, signal, strsignal(signal));
}

std::vector<std::string> CommandChild::LastLines() const {
  struct stat about {};
  if (fstat(errors_.get(), &about) != 0) return {};
  off_t start = std::max<off_t>(about.st_size - kTailBytes, 0);
  std::string tail(static_cast<size_t>(about.st_size - start), '\0');
  ssize_t got = pread(errors_.get(), tail.data(), tail.size(), start);
  tail.resize(got > 0 ? static_cast<size_t>(got) : 0);

  std::vector<std::string> lines;
  size_t from = 0;
  // A tail that starts mid-line starts with the line's end: not quoted.
  if (start > 0) from = std::min(tail.find('\n'), tail.size());
  while (from < tail.size()) {
    size_t end = std::min(tail.find('\n', from), tail.size());
    lines.push_back(QuotableLine(std::string_view(tail).substr(from, end - from)));
    from = end + 1;
  }
  return lines;
}

void CommandChild::End() {
  std::lock_guard lock(mutex_);
  if (reaped_) return;
  if (given_up_ || !WaitForEnd(pid_, kEndMilliseconds)) {
    kill(pid_, SIGTERM);
    if (!WaitForEnd(pid_, kEndMilliseconds)) kill(pid_, SIGKILL);
  }
  ForgetOnStop(pid_);  // Before the pid is free for another process.
  while (waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
}

CommandDialer::CommandDialer(std::vector<std::string> argv) : argv_(std::move(argv)) {}

CommandDialer::~CommandDialer() { RemoveListener(); }

void CommandDialer::RemoveListener() {
  if (dir_.empty()) return;
  listener_ = Fd();
  unlink((dir_ + "/s").c_str());
  rmdir(dir_.c_str());
  dir_.clear();
  removed_on_stop_.reset();
}

int CommandDialer::OpenSocket(sockaddr* address, unsigned* length) {
  // A listener curl gave up on (it opens another socket to try again).
  RemoveListener();
  waiting_ = -1;

  // A directory only this user can enter: nobody else can connect first.
  const char* tmp = getenv("TMPDIR");
  std::string dir = std::string(tmp && *tmp ? tmp : "/tmp") + "/strata-command-XXXXXX";
  sockaddr_un where{};
  where.sun_family = AF_UNIX;
  if (dir.size() + 2 >= sizeof where.sun_path) dir = "/tmp/strata-command-XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) {
    error_ = fmt::format("cannot run {}: cannot create a directory in {}: {}", argv_[0],
                         dir.substr(0, dir.rfind('/')), strerror(errno));
    return -1;
  }
  dir_ = dir;
  removed_on_stop_ = std::make_unique<RemovedOnStop>(dir_, true);

  std::string path = dir_ + "/s";
  memcpy(where.sun_path, path.c_str(), path.size() + 1);
  socklen_t size = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  listener_ = Fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  Fd ours(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (listener_.get() < 0 || ours.get() < 0 ||
      bind(listener_.get(), reinterpret_cast<sockaddr*>(&where), size) != 0 ||
      listen(listener_.get(), 1) != 0) {
    error_ = fmt::format("cannot run {}: cannot make its socket: {}", argv_[0], strerror(errno));
    RemoveListener();
    return -1;
  }
  memcpy(address, &where, size);
  *length = size;
  waiting_ = ours.get();
  return ours.release();
}

bool CommandDialer::StartCommand() {
  if (waiting_ < 0) return true;
  int socket = std::exchange(waiting_, -1);

  // The one connection the listener takes must be curl's, from this
  // process (the directory keeps others out; this makes sure).
  Fd accepted = AboveStdio(accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  int accept_error = errno;
  ucred peer{};
  socklen_t size = sizeof peer;
  bool ours = accepted.get() >= 0 &&
              getsockopt(accepted.get(), SOL_SOCKET, SO_PEERCRED, &peer, &size) == 0 &&
              peer.pid == getpid();
  RemoveListener();
  if (!ours) {
    error_ = fmt::format("cannot connect to {}: {}", argv_[0],
                         accepted.get() < 0 ? strerror(accept_error) : "another process did");
    return false;
  }

  Fd errors = AboveStdio(memfd_create("command-stderr", MFD_CLOEXEC));
  if (errors.get() < 0) {
    error_ = fmt::format("cannot run {}: {}", argv_[0], strerror(errno));
    return false;
  }
  pid_t pid = 0;
  if (int failed = Spawn(argv_, accepted.get(), errors.get(), &pid); failed != 0) {
    error_ = fmt::format("cannot run {}: {}", argv_[0], strerror(failed));
    return false;
  }
  EndOnStop(pid);
  child_ = std::make_shared<CommandChild>(pid, argv_[0], errors.release());
  Registry().Add(socket, child_);
  return true;
}

std::shared_ptr<CommandChild> CommandOfSocket(int socket) { return Registry().Find(socket); }

void CloseCommandSocket(int socket) {
  std::shared_ptr<CommandChild> child = Registry().Take(socket);
  // Closed first: the command's input ends, which is what ends it.
  close(socket);
  if (child) child->End();
}

bool CanRun(const std::string& program) {
  auto runnable = [](const std::string& path) {
    struct stat about {};
    return stat(path.c_str(), &about) == 0 && S_ISREG(about.st_mode) &&
           access(path.c_str(), X_OK) == 0;
  };
  if (program.find('/') != std::string::npos) return runnable(program);

  // Without PATH, posix_spawnp searches the system's default one.
  const char* set = getenv("PATH");
  std::string path = set ? set : "/bin:/usr/bin";
  for (size_t start = 0; start <= path.size();) {
    size_t end = std::min(path.find(':', start), path.size());
    std::string dir = end == start ? "." : path.substr(start, end - start);
    if (runnable(dir + "/" + program)) return true;
    start = end + 1;
  }
  return false;
}

}  // namespace strata
