// Incremental SHA-256, the digest algorithm of every OCI blob and diff_id.
#pragma once

#include <openssl/evp.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace strata {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, size_t size);

  // Returns "sha256:<64 hex>". The hasher may not be updated afterwards.
  std::string Finish();

 private:
  EVP_MD_CTX* context_;
};

// Returns "sha256:<hex>" of |data|.
std::string Sha256Of(std::string_view data);

// True when |digest| is "sha256:" followed by 64 lower-case hex digits.
bool IsSha256Digest(std::string_view digest);

}  // namespace strata
