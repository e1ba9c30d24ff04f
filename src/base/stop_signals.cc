#include "base/stop_signals.h"

#include <unistd.h>

#include <csignal>
#include <cstring>

#include "base/output_file.h"

namespace strata {

namespace {

constexpr int kStopSignals[] = {SIGINT, SIGTERM};

bool stderr_is_terminal = false;

// One line says why strata stopped (after clearing a progress line), the
// guarded temporary files go, then the signal ends the process as it
// would have. Only async-signal-safe calls. The cache needs nothing more:
// it commits in one transaction.
void OnStopSignal(int signal) {
  const char* line = signal == SIGINT ? "strata: interrupted\n" : "strata: terminated\n";
  if (stderr_is_terminal) (void)!write(STDERR_FILENO, "\r\033[K", 4);
  (void)!write(STDERR_FILENO, line, strlen(line));
  RemoveTempFilesOnStop();
  std::signal(signal, SIG_DFL);
  raise(signal);
}

void Install(int signal, void (*handler)(int)) {
  struct sigaction action {};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  sigaction(signal, &action, nullptr);
}

}  // namespace

void HandleStopSignals() {
  stderr_is_terminal = isatty(STDERR_FILENO);
  for (int signal : kStopSignals) {
    struct sigaction current {};
    sigaction(signal, nullptr, &current);
    if (current.sa_handler != SIG_IGN) Install(signal, OnStopSignal);
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
