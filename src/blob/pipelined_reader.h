// A ByteReader that runs another reader stack on a thread of its own, so
// decompression (and whatever the stack hashes) runs on one core while the
// caller parses and hashes the output on another.
//
// The two threads meet at a small ring of fixed buffers: the producer fills
// a free buffer, the caller drains a full one. Memory stays bounded by the
// ring whatever the stream expands to, so limits checked by the caller
// still stop a decompression bomb after at most a ring's worth of output.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "base/buffer_pool.h"
#include "blob/byte_reader.h"

namespace strata {

struct PipelineShape {
  // Buffers in the ring and the size of each. Four of 1 MiB: the layer
  // reader asks for 1 MiB at a time (libarchive's block), and four let
  // either side run a few blocks ahead of the other; eight measured no
  // faster (1.22 s against 1.20 s on the reference image of layer_cursor.cc).
  size_t buffers = 4;
  size_t buffer_size = size_t{1} << 20;
  // Bytes read in the caller's thread before the producer thread starts, so
  // a small stream never pays for a thread and its ring; 8 MiB is some
  // milliseconds of inflate against tens of microseconds for a thread.
  // 0 starts it at the first Read.
  int64_t inline_bytes = int64_t{8} << 20;
};

class PipelinedReader : public ByteReader {
 public:
  // Reads |inner|, which it owns. Until |shape.inline_bytes| have been read
  // |inner| is read in the caller's thread, afterwards only in the
  // producer's; whatever |inner| reads through must allow that hand-over
  // (no thread-local state) and must not be read by anyone else meanwhile.
  explicit PipelinedReader(std::unique_ptr<ByteReader> inner, PipelineShape shape = {});

  // The same over |inner|, not owned; it must outlive this reader.
  explicit PipelinedReader(ByteReader* inner, PipelineShape shape = {});

  // Stops the producer and joins it. The producer finishes the Read of
  // |inner| it is in (at most one buffer's worth) before it sees the stop.
  // TODO: a blob read stalled on the network (registry, Engine API) holds
  // the stop until the source's reader gives up (a registry's blob after
  // its third stall of a minute, doc/sources.md#stalls); a cancel hook on
  // the source's reader would make it prompt there too.
  ~PipelinedReader() override;
  PipelinedReader(const PipelinedReader&) = delete;
  PipelinedReader& operator=(const PipelinedReader&) = delete;

  // Returns the bytes of |inner| in order. An exception thrown by |inner|
  // in the producer is rethrown here, the same object, once the bytes read
  // before it have been returned; it is rethrown again on later calls.
  // Call from one thread only.
  size_t Read(void* buffer, size_t size) override;

 private:
  struct Buffer {
    PooledBuffer data;
    size_t size = 0;  // Bytes filled by the producer.
  };

  void Start();
  void Produce();
  void FillFromInner(Buffer* buffer);
  bool NextFullBuffer();
  void Stop();

  std::unique_ptr<ByteReader> owned_;
  ByteReader* inner_;
  PipelineShape shape_;
  bool started_ = false;
  int64_t read_inline_ = 0;
  bool inline_end_ = false;  // |inner| ended before the producer started.

  std::vector<Buffer> ring_;
  // Guarded by mutex_. Buffer i % ring_.size() is full when
  // consumed_ <= i < produced_; the caller drains buffer consumed_ (held_)
  // and the producer fills buffer produced_ when the ring has room.
  std::mutex mutex_;
  std::condition_variable changed_;
  uint64_t produced_ = 0;
  uint64_t consumed_ = 0;
  bool finished_ = false;  // The producer has returned (end, error or stop).
  bool stop_ = false;      // Set by the caller to end the producer early.
  std::exception_ptr error_;

  // The caller's side.
  Buffer* held_ = nullptr;
  size_t offset_ = 0;  // Into *held_.
  std::thread producer_;
};

}  // namespace strata
