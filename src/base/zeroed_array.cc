#include "base/zeroed_array.h"

#include <sys/mman.h>

#include "base/error.h"

namespace strata {

namespace {

// Below this a table fits the TLB's reach anyway, and a huge page would
// make a small tree's table cost 2 MiB.
constexpr size_t kHugeFrom = size_t{4} << 20;

}  // namespace

void* MapZeroed(size_t bytes) {
  if (bytes == 0) return nullptr;
  void* data = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (data == MAP_FAILED) Fail("out of memory: {} bytes for a table could not be mapped", bytes);
  // Advice only: without transparent huge pages the table works the same.
  if (bytes >= kHugeFrom) madvise(data, bytes, MADV_HUGEPAGE);
  return data;
}

void Unmap(void* data, size_t bytes) {
  if (data != nullptr) munmap(data, bytes);
}

}  // namespace strata
