#include "base/buffer_pool.h"

#include <mutex>
#include <utility>
#include <vector>

namespace strata {

namespace {

// What the pool keeps at most, over all sizes: the buffers a few layers
// read at once hold (two rings of 4 MiB and a block each), no more.
constexpr size_t kMostKept = size_t{64} << 20;

struct Pool {
  std::mutex mutex;
  std::vector<std::pair<size_t, std::unique_ptr<char[]>>> kept;
  size_t kept_bytes = 0;
};

Pool& ThePool() {
  static Pool* pool = new Pool;  // Never destroyed: buffers may outlive main.
  return *pool;
}

}  // namespace

PooledBuffer::PooledBuffer(size_t size) : size_(size) {
  Pool& pool = ThePool();
  {
    std::lock_guard<std::mutex> lock(pool.mutex);
    for (size_t i = pool.kept.size(); i-- > 0;) {
      if (pool.kept[i].first != size) continue;
      data_ = std::move(pool.kept[i].second);
      pool.kept.erase(pool.kept.begin() + static_cast<ptrdiff_t>(i));
      pool.kept_bytes -= size;
      return;
    }
  }
  data_ = std::make_unique_for_overwrite<char[]>(size);
}

PooledBuffer::~PooledBuffer() {
  if (data_ == nullptr) return;
  Pool& pool = ThePool();
  std::lock_guard<std::mutex> lock(pool.mutex);
  if (pool.kept_bytes + size_ > kMostKept) return;
  pool.kept_bytes += size_;
  pool.kept.emplace_back(size_, std::move(data_));
}

PooledBuffer::PooledBuffer(PooledBuffer&& other) noexcept
    : data_(std::move(other.data_)), size_(std::exchange(other.size_, 0)) {}

PooledBuffer& PooledBuffer::operator=(PooledBuffer&& other) noexcept {
  std::swap(data_, other.data_);
  std::swap(size_, other.size_);
  return *this;
}

void ReleasePooledBuffers() {
  Pool& pool = ThePool();
  std::vector<std::pair<size_t, std::unique_ptr<char[]>>> kept;
  {
    std::lock_guard<std::mutex> lock(pool.mutex);
    kept.swap(pool.kept);
    pool.kept_bytes = 0;
  }
}

size_t PooledBufferBytes() {
  Pool& pool = ThePool();
  std::lock_guard<std::mutex> lock(pool.mutex);
  return pool.kept_bytes;
}

}  // namespace strata
