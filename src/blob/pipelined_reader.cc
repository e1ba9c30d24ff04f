#include "blob/pipelined_reader.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <system_error>

namespace strata {

PipelinedReader::PipelinedReader(std::unique_ptr<ByteReader> inner, PipelineShape shape)
    : PipelinedReader(inner.get(), shape) {
  owned_ = std::move(inner);
}

PipelinedReader::PipelinedReader(ByteReader* inner, PipelineShape shape)
    : inner_(inner), shape_(shape) {
  shape_.buffers = std::max<size_t>(shape_.buffers, 1);
  shape_.buffer_size = std::max<size_t>(shape_.buffer_size, 1);
}

PipelinedReader::~PipelinedReader() { Stop(); }

size_t PipelinedReader::Read(void* buffer, size_t size) {
  if (size == 0) return 0;
  if (!started_ && !inline_end_ && read_inline_ >= shape_.inline_bytes) Start();

  if (!started_) {
    if (inline_end_) return 0;
    size_t got = inner_->Read(buffer, size);
    read_inline_ += static_cast<int64_t>(got);
    inline_end_ = got == 0;
    return got;
  }

  if (held_ == nullptr || offset_ == held_->size) {
    if (!NextFullBuffer()) return 0;
  }
  size_t count = std::min(size, held_->size - offset_);
  std::memcpy(buffer, held_->data.get() + offset_, count);
  offset_ += count;
  return count;
}

void PipelinedReader::Start() {
  ring_.reserve(shape_.buffers);
  for (size_t i = 0; i < shape_.buffers; ++i) ring_.push_back({PooledBuffer(shape_.buffer_size)});
  try {
    producer_ = std::thread(&PipelinedReader::Produce, this);
    started_ = true;
  } catch (const std::system_error&) {
    // No thread to be had (a process or container limit): read inline,
    // slower but the same bytes.
    ring_.clear();
    shape_.inline_bytes = std::numeric_limits<int64_t>::max();
  }
}

// The producer thread: fills free buffers until |inner_| ends or throws,
// or the caller stops it.
void PipelinedReader::Produce() {
  while (true) {
    Buffer* buffer;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [this] { return stop_ || produced_ - consumed_ < ring_.size(); });
      if (stop_) break;
      buffer = &ring_[produced_ % ring_.size()];
    }

    std::exception_ptr error;
    try {
      FillFromInner(buffer);
    } catch (...) {
      error = std::current_exception();
    }

    // A short buffer is the end of |inner_|; bytes read before an error
    // are handed over ahead of it.
    bool end = error != nullptr || buffer->size < shape_.buffer_size;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (buffer->size > 0) ++produced_;
      error_ = error;
    }
    changed_.notify_all();
    if (end) break;
  }

  {
    std::lock_guard<std::mutex> lock(mutex_);
    finished_ = true;
  }
  changed_.notify_all();
}

void PipelinedReader::FillFromInner(Buffer* buffer) {
  buffer->size = 0;
  while (buffer->size < shape_.buffer_size) {
    size_t got = inner_->Read(buffer->data.get() + buffer->size, shape_.buffer_size - buffer->size);
    if (got == 0) return;
    buffer->size += got;
  }
}

// Gives back the buffer the caller has drained and waits for the next full
// one. Returns false at the end; rethrows the producer's error there.
bool PipelinedReader::NextFullBuffer() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (held_ != nullptr) {
    held_ = nullptr;
    ++consumed_;
    changed_.notify_all();
  }
  changed_.wait(lock, [this] { return produced_ > consumed_ || finished_; });

  if (produced_ > consumed_) {
    held_ = &ring_[consumed_ % ring_.size()];
    offset_ = 0;
    return true;
  }
  std::exception_ptr error = error_;
  lock.unlock();
  if (producer_.joinable()) producer_.join();
  if (error != nullptr) std::rethrow_exception(error);
  return false;
}

void PipelinedReader::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  if (producer_.joinable()) producer_.join();
}

}  // namespace strata
