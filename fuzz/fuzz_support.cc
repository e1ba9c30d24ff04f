#include "fuzz_support.h"

#include <algorithm>
#include <cstring>

#include "base/error.h"
#include "blob/sha256.h"

namespace strata::fuzz {

int64_t MemoryStore::Size(const std::string& name) const {
  auto it = files_.find(name);
  if (it == files_.end()) Fail("{} is missing", Describe(name));
  return static_cast<int64_t>(it->second.size());
}

std::unique_ptr<ByteReader> MemoryStore::Open(const std::string& name) const {
  auto it = files_.find(name);
  if (it == files_.end()) Fail("{} is missing", Describe(name));
  return std::make_unique<ViewReader>(it->second);
}

std::vector<std::string> MemoryStore::List() const {
  std::vector<std::string> names;
  for (const auto& [name, data] : files_) names.push_back(name);
  return names;
}

namespace {

constexpr std::string_view kSeparator = "\n====\n";
constexpr size_t kMaxParts = 10;  // References are one digit.

// Replaces $N, %N and #N for parts after |self|, whose digests are known.
std::string Resolve(const std::string& part, size_t self, const std::vector<std::string>& digests,
                    const std::vector<std::string>& parts) {
  std::string out;
  for (size_t i = 0; i < part.size(); ++i) {
    char c = part[i];
    bool marker = c == '$' || c == '%' || c == '#';
    size_t n = i + 1 < part.size() ? static_cast<size_t>(part[i + 1] - '0') : kMaxParts;
    if (!marker || n >= parts.size() || n <= self) {
      out += c;
      continue;
    }
    if (c == '$') out += digests[n];
    if (c == '%') out += digests[n].substr(7);
    if (c == '#') out += std::to_string(parts[n].size());
    ++i;
  }
  return out;
}

}  // namespace

std::vector<std::string> SplitParts(std::string_view data) {
  std::vector<std::string> parts;
  while (parts.size() + 1 < kMaxParts) {
    size_t at = data.find(kSeparator);
    if (at == std::string_view::npos) break;
    parts.emplace_back(data.substr(0, at));
    data.remove_prefix(at + kSeparator.size());
  }
  parts.emplace_back(data);

  std::vector<std::string> digests(parts.size());
  for (size_t i = parts.size(); i-- > 0;) {
    parts[i] = Resolve(parts[i], i, digests, parts);
    digests[i] = Sha256Of(parts[i]);
  }
  return parts;
}

std::map<std::string, std::string> StoreFiles(const std::vector<std::string>& parts,
                                              const std::string& entry) {
  std::map<std::string, std::string> files;
  for (const std::string& part : parts) files["blobs/sha256/" + Sha256Of(part).substr(7)] = part;
  files[entry] = parts.front();
  return files;
}

}  // namespace strata::fuzz
