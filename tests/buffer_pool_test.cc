// PooledBuffer: a freed buffer serves the next request of its size, up to
// the pool's bound, and ReleasePooledBuffers empties the pool.
#include "base/buffer_pool.h"

#include <gtest/gtest.h>

#include <vector>

namespace strata {
namespace {

TEST(BufferPool, AFreedBufferServesTheNextOfItsSize) {
  ReleasePooledBuffers();
  const char* first = nullptr;
  {
    PooledBuffer buffer(size_t{1} << 20);
    first = buffer.get();
  }
  PooledBuffer other_size(size_t{1} << 18);
  EXPECT_NE(other_size.get(), first);
  PooledBuffer same_size(size_t{1} << 20);
  EXPECT_EQ(same_size.get(), first);
  EXPECT_EQ(same_size.size(), size_t{1} << 20);
}

TEST(BufferPool, KeepsABoundedNumberAndReleasesThem) {
  ReleasePooledBuffers();
  EXPECT_EQ(PooledBufferBytes(), 0u);
  {
    std::vector<PooledBuffer> many;
    for (int i = 0; i < 100; ++i) many.emplace_back(size_t{1} << 20);
  }
  // 100 MiB freed at once: the pool keeps 64 MiB of it, the rest goes.
  EXPECT_EQ(PooledBufferBytes(), size_t{64} << 20);
  {
    PooledBuffer taken(size_t{1} << 20);
    EXPECT_EQ(PooledBufferBytes(), size_t{63} << 20);
  }
  ReleasePooledBuffers();
  EXPECT_EQ(PooledBufferBytes(), 0u);
}

}  // namespace
}  // namespace strata
