// A ByteReader that hashes and counts the bytes passing through it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "blob/byte_reader.h"
#include "blob/sha256.h"

namespace strata {

class DigestReader : public ByteReader {
 public:
  // With |hash| false it only counts: for a stream whose digest another
  // DigestReader already takes over the same bytes.
  explicit DigestReader(ByteReader* inner, bool hash = true) : inner_(inner), hash_(hash) {}

  size_t Read(void* buffer, size_t size) override;

  // Reads and hashes whatever is left, so the digest covers the whole stream.
  void Drain();

  // The digest of every byte read so far; call after the end, and only
  // when hashing. Later calls return the same digest.
  const std::string& Finish() {
    if (digest_.empty()) digest_ = hasher_.Finish();
    return digest_;
  }

  // The bytes read so far. Unlike the rest, may be called from another
  // thread while one reads (a layer's expansion ratio is checked on the
  // parsing thread while a PipelinedReader reads the blob).
  int64_t bytes() const { return bytes_.load(std::memory_order_relaxed); }

 private:
  ByteReader* inner_;  // Not owned.
  bool hash_;
  Sha256 hasher_;
  std::string digest_;  // Set by the first Finish.
  std::atomic<int64_t> bytes_{0};
};

}  // namespace strata
