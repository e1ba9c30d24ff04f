// A ByteReader that hashes and counts the bytes passing through it.
#pragma once

#include <memory>
#include <string>

#include "blob/byte_reader.h"
#include "blob/sha256.h"

namespace strata {

class DigestReader : public ByteReader {
 public:
  explicit DigestReader(ByteReader* inner) : inner_(inner) {}

  size_t Read(void* buffer, size_t size) override;

  // Reads and hashes whatever is left, so the digest covers the whole stream.
  void Drain();

  // The digest of every byte read so far; call once, after the end.
  std::string Finish() { return hasher_.Finish(); }

  int64_t bytes() const { return bytes_; }

 private:
  ByteReader* inner_;  // Not owned.
  Sha256 hasher_;
  int64_t bytes_ = 0;
};

}  // namespace strata
