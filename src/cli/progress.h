// A one-line progress display on stderr while layers are read. Shown only
// on a terminal, only after a short delay (small images finish silently),
// and erased when done so it never mixes with results.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace strata {

class Progress {
 public:
  // Reports |*done| against |total| bytes (-1: unknown). Starts a thread
  // only when |enabled| and stderr is a terminal.
  Progress(const std::atomic<int64_t>* done, int64_t total, bool enabled);
  ~Progress();  // Stops the thread and erases the line.

  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

 private:
  void Run();

  const std::atomic<int64_t>* done_;
  int64_t total_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool drawn_ = false;
  std::thread thread_;
};

}  // namespace strata
