// Ctrl-C (SIGINT) and SIGTERM: strata says why it stopped, removes the
// temporary files and directories it is writing (RemovedOnStop), and then
// lets the signal end the process as it would have, so the shell sees it
// (status 130 for Ctrl-C).
#pragma once

#include <signal.h>
#include <sys/types.h>

namespace strata {

// Installs strata's handler for both signals, except one the shell had
// strata ignore (a background job, nohup), which stays ignored. Call once,
// first thing in main, before any thread starts.
void HandleStopSignals();

// For a full-screen view, whose library (ncurses) restores the terminal
// in handlers of its own, and installs them only where it finds the
// default action. Call LeaveStopSignalsToScreen just before the screen
// starts (initscr) and ChainStopSignals just after: strata's handler then
// sits in front of the screen's, removes the temporary files (printing
// nothing over the screen) and hands the signal on to the handler it
// found, which restores the terminal and ends the process its own way.
void LeaveStopSignalsToScreen();
void ChainStopSignals();

// A command strata started (ssh, for an Engine at ssh://) that a stop
// signal must end as well: without it the command outlives strata, until
// its own timeout or its far end ends it. Call EndOnStop once it runs,
// and ForgetOnStop before reaping it (a reaped pid may be reused). A few
// are kept (kStopChildren); more are not ended.
void EndOnStop(pid_t pid);
void ForgetOnStop(pid_t pid);

// Holds SIGINT and SIGTERM back on the calling thread while it lives, so
// that a stop between writing temporary files and renaming them cannot
// leave them behind; a signal that arrives meanwhile is delivered when it
// ends. Nothing held may block: what is held should take milliseconds.
class StopSignalsHeld {
 public:
  StopSignalsHeld();
  ~StopSignalsHeld();
  StopSignalsHeld(const StopSignalsHeld&) = delete;
  StopSignalsHeld& operator=(const StopSignalsHeld&) = delete;

 private:
  sigset_t before_;
};

}  // namespace strata
