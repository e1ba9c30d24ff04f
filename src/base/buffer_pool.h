// Buffers of the few sizes a layer's reading takes (1 MiB blocks, 256 kB
// input chunks), kept for the next layer instead of freed. malloc hands
// blocks this large back to the kernel when they are freed, and memory
// fresh from the kernel costs a page fault for each 4 kB first written:
// on the benchmark's image of 400 small layers, the buffers of each layer
// made three quarters of the audit's page faults and a sixth of its time.
#pragma once

#include <cstddef>
#include <memory>

namespace strata {

class PooledBuffer {
 public:
  // A buffer of |size| bytes, left unwritten (as make_unique_for_overwrite).
  explicit PooledBuffer(size_t size);
  ~PooledBuffer();  // Back to the pool, which keeps a bounded number.
  PooledBuffer(PooledBuffer&& other) noexcept;
  PooledBuffer& operator=(PooledBuffer&& other) noexcept;
  PooledBuffer(const PooledBuffer&) = delete;
  PooledBuffer& operator=(const PooledBuffer&) = delete;

  char* get() const { return data_.get(); }
  size_t size() const { return size_; }

 private:
  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
};

// Frees every buffer the pool keeps: once the layers are read, so that the
// memory they held does not add to the peak of what comes after.
void ReleasePooledBuffers();

// The bytes of the buffers the pool keeps now.
size_t PooledBufferBytes();

}  // namespace strata
