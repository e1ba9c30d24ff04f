#include "base/notice.h"

#include <mutex>

namespace strata {

namespace {

// Layers are read on several threads: one notice at a time, whole.
std::mutex& SinkMutex() {
  static std::mutex mutex;
  return mutex;
}

NoticeSink& Sink() {
  static NoticeSink sink;
  return sink;
}

}  // namespace

void SetNoticeSink(NoticeSink sink) {
  std::lock_guard<std::mutex> lock(SinkMutex());
  Sink() = std::move(sink);
}

void Notice(const std::string& line) {
  std::lock_guard<std::mutex> lock(SinkMutex());
  if (Sink()) Sink()(line);
}

}  // namespace strata
