#include "cli/progress.h"

#include <fmt/core.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "base/units.h"

namespace strata {

namespace {

// Below this, a progress line would only flicker.
constexpr auto kFirstDelay = std::chrono::milliseconds(300);
constexpr auto kInterval = std::chrono::milliseconds(100);

}  // namespace

Progress::Progress(const std::atomic<int64_t>* done, int64_t total, bool enabled)
    : done_(done), total_(total) {
  if (enabled && isatty(STDERR_FILENO)) thread_ = std::thread(&Progress::Run, this);
}

Progress::~Progress() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Progress::Run() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (wake_.wait_for(lock, kFirstDelay, [this] { return stop_; })) return;

  auto start = std::chrono::steady_clock::now();
  while (true) {
    int64_t done = done_->load(std::memory_order_relaxed);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::string line =
        total_ > 0 ? fmt::format("strata: reading layers {:3.0f}%  {} of {}",
                                 100.0 * static_cast<double>(done) / static_cast<double>(total_),
                                 HumanBytes(done), HumanBytes(total_))
                   : fmt::format("strata: reading layers  {}", HumanBytes(done));
    fmt::print(stderr, "\r\033[K{}  {:.0f}s", line, seconds);
    fflush(stderr);
    drawn_ = true;
    if (wake_.wait_for(lock, kInterval, [this] { return stop_; })) break;
  }
  if (drawn_) {
    fmt::print(stderr, "\r\033[K");
    fflush(stderr);
  }
}

}  // namespace strata
