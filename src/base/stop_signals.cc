#include "base/stop_signals.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>

#include "base/output_file.h"

namespace strata {

namespace {

constexpr int kStopSignals[] = {SIGINT, SIGTERM};

bool stderr_is_terminal = false;

// Commands a stop ends (EndOnStop): 0 is a free slot. Read by the
// handler, so lock-free atomics only.
constexpr int kStopChildren = 16;
std::atomic<pid_t> stop_children[kStopChildren];
static_assert(std::atomic<pid_t>::is_always_lock_free, "a signal handler reads them");

// Async-signal-safe: kill(2) only. SIGTERM lets ssh close its connection.
void EndChildrenOnStop() {
  for (std::atomic<pid_t>& child : stop_children)
    if (pid_t pid = child.load(); pid > 0) kill(pid, SIGTERM);
}

// What ChainStopSignals found for each signal, handed the signal on. Set
// before the handler that reads it is installed.
struct sigaction screen_handlers[2];

int SlotOf(int signal) { return signal == SIGINT ? 0 : 1; }

// One line says why strata stopped (after clearing a progress line), the
// guarded temporary files go, then the signal ends the process as it
// would have. Only async-signal-safe calls. The cache needs nothing more:
// it commits in one transaction.
void OnStopSignal(int signal) {
  const char* line = signal == SIGINT ? "strata: interrupted\n" : "strata: terminated\n";
  if (stderr_is_terminal) (void)!write(STDERR_FILENO, "\r\033[K", 4);
  (void)!write(STDERR_FILENO, line, strlen(line));
  EndChildrenOnStop();
  RemoveTempFilesOnStop();
  std::signal(signal, SIG_DFL);
  raise(signal);
}

// In front of a screen's handler: the signal is raised again with that
// handler back in place, and delivered to it once this one returns (the
// signal is blocked until then).
void OnStopSignalBeforeScreen(int signal) {
  EndChildrenOnStop();
  RemoveTempFilesOnStop();
  sigaction(signal, &screen_handlers[SlotOf(signal)], nullptr);
  raise(signal);
}

void Install(int signal, void (*handler)(int)) {
  struct sigaction action {};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  sigaction(signal, &action, nullptr);
}

}  // namespace

void EndOnStop(pid_t pid) {
  for (std::atomic<pid_t>& child : stop_children) {
    pid_t free = 0;
    if (child.compare_exchange_strong(free, pid)) return;
  }
}

void ForgetOnStop(pid_t pid) {
  for (std::atomic<pid_t>& child : stop_children) {
    pid_t expected = pid;
    if (child.compare_exchange_strong(expected, 0)) return;
  }
}

void HandleStopSignals() {
  stderr_is_terminal = isatty(STDERR_FILENO);
  for (int signal : kStopSignals) {
    struct sigaction current {};
    sigaction(signal, nullptr, &current);
    if (current.sa_handler != SIG_IGN) Install(signal, OnStopSignal);
  }
}

void LeaveStopSignalsToScreen() {
  for (int signal : kStopSignals) {
    struct sigaction current {};
    sigaction(signal, nullptr, &current);
    if (current.sa_handler == OnStopSignal) Install(signal, SIG_DFL);
  }
}

void ChainStopSignals() {
  for (int signal : kStopSignals) {
    struct sigaction current {};
    sigaction(signal, nullptr, &current);
    // Ignored stays ignored; the default action (a screen that installed
    // nothing) gets strata's own handler back.
    if (current.sa_handler == SIG_IGN || current.sa_handler == OnStopSignalBeforeScreen) continue;
    if (!(current.sa_flags & SA_SIGINFO) && current.sa_handler == SIG_DFL) {
      Install(signal, OnStopSignal);
      continue;
    }
    screen_handlers[SlotOf(signal)] = current;
    Install(signal, OnStopSignalBeforeScreen);
  }
}

StopSignalsHeld::StopSignalsHeld() {
  sigset_t stops;
  sigemptyset(&stops);
  for (int signal : kStopSignals) sigaddset(&stops, signal);
  pthread_sigmask(SIG_BLOCK, &stops, &before_);
}

StopSignalsHeld::~StopSignalsHeld() { pthread_sigmask(SIG_SETMASK, &before_, nullptr); }

}  // namespace strata
