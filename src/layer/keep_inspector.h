// A content inspector that only keeps a few named files whole (the image's
// /etc/passwd and /etc/group, for owner names), for commands that run no
// rules. Files of at most 1 MiB; larger ones are not user databases.
#pragma once

#include <set>
#include <string>

#include "layer/content_inspector.h"

namespace strata {

class KeepInspector : public ContentInspector {
 public:
  explicit KeepInspector(const std::set<std::string>& paths) : paths_(paths.begin(), paths.end()) {}

  size_t max_bytes() const override { return 1 << 20; }
  bool inspects_binaries() const override { return false; }
  bool Wants(const LayerEntry&) const override { return false; }
  bool Keeps(const LayerEntry& entry) const override { return paths_.count(entry.path) > 0; }
  void Inspect(const LayerEntry&, size_t, std::string_view,
               std::vector<ContentHit>*) const override {}
  std::string CacheKey() const override {
    std::string key = "keep";
    for (const std::string& path : paths_) key += " " + std::to_string(path.size()) + ":" + path;
    return key;
  }

 private:
  std::set<std::string, std::less<>> paths_;
};

}  // namespace strata
