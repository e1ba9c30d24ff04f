// What the fuzz targets share: an image store held in memory, and the
// convention that lets one fuzz input carry several linked documents.
//
// A multi-document input is split on lines holding only "====". Part 0 is
// the entry point (index.json or manifest.json); every part is also stored
// as blobs/sha256/<hex of its sha256>. Since the fuzzer cannot forge a
// sha256, parts name each other by number, and the harness fills in the
// digests before storing them:
//
//   $N  becomes "sha256:<hex>" of part N     (descriptor digests, diff_ids)
//   %N  becomes "<hex>" of part N            (docker archive member names)
//   #N  becomes the size of part N in bytes  (descriptor sizes)
//
// N is one digit and must be larger than the referring part's own number,
// so digests are computed from the last part back to the first and no
// reference loop can be written (loops are tests/malformed_test.cc's job).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "blob/byte_reader.h"
#include "source/store.h"

namespace strata::fuzz {

// A Store whose files are strings; the test double of a directory store.
class MemoryStore : public Store {
 public:
  explicit MemoryStore(std::map<std::string, std::string> files) : files_(std::move(files)) {}

  const std::string& path() const override { return path_; }
  bool is_archive() const override { return false; }
  bool Has(const std::string& name) const override { return files_.count(name) != 0; }
  int64_t Size(const std::string& name) const override;
  std::unique_ptr<ByteReader> Open(const std::string& name) const override;
  std::vector<std::string> List() const override;

 private:
  std::string path_ = "fuzz-image";
  std::map<std::string, std::string> files_;
};

// Splits |data| into parts and resolves $N, %N and #N as described above.
std::vector<std::string> SplitParts(std::string_view data);

// The files of a store holding |parts|: |entry| names part 0, and every part
// is also blobs/sha256/<hex>.
std::map<std::string, std::string> StoreFiles(const std::vector<std::string>& parts,
                                              const std::string& entry);

}  // namespace strata::fuzz
