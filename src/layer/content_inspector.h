// The hook through which the rules see file contents during the one pass
// over a layer. The layer reader buffers a file only when the inspector
// asks for it, hands it over once the file is complete, and forgets it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "layer/layer_entry.h"

namespace strata {

// A content rule's match in one file of a layer, already redacted.
struct ContentHit {
  size_t entry = 0;  // Index into LayerContents::entries.
  std::string rule_id;
  int line = 0;         // 1-based; 0 when not line-oriented.
  std::string excerpt;  // Redacted: never the secret itself.
};

class ContentInspector {
 public:
  virtual ~ContentInspector() = default;

  // The most bytes of one file the inspector may ask for; files larger than
  // this are never buffered.
  virtual size_t max_bytes() const = 0;

  // True when binary files (a NUL in the first 8000 bytes, as grep and git
  // tell them) should be inspected too; otherwise they are not buffered.
  virtual bool inspects_binaries() const = 0;

  // True when |entry| (a regular file) should be buffered and inspected.
  virtual bool Wants(const LayerEntry& entry) const = 0;

  // True when the whole of |entry| should also be kept for later parsing
  // (package databases).
  virtual bool Keeps(const LayerEntry& entry) const = 0;

  // Inspects the complete content of |entry|; appends any hits, each with
  // |index| as its entry. Thread-safe: called from several layer readers.
  virtual void Inspect(const LayerEntry& entry, size_t index, std::string_view content,
                       std::vector<ContentHit>* hits) const = 0;

  // Names everything that decides what Wants, Keeps and Inspect do (the
  // patterns, the limits), so that a layer cache never hands results made
  // by one inspector to another; "" (the default) when results must not be
  // cached at all. Code changes are covered by kAnalysisVersion.
  virtual std::string CacheKey() const { return ""; }
};

}  // namespace strata
