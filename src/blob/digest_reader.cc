#include "blob/digest_reader.h"

namespace strata {

size_t DigestReader::Read(void* buffer, size_t size) {
  size_t got = inner_->Read(buffer, size);
  if (hash_) hasher_.Update(buffer, got);
  bytes_.fetch_add(static_cast<int64_t>(got), std::memory_order_relaxed);
  return got;
}

void DigestReader::Drain() {
  char buffer[65536];
  while (Read(buffer, sizeof buffer) > 0) {
  }
}

}  // namespace strata
