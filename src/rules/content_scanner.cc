#include "rules/content_scanner.h"

#include <hs/hs.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "base/error.h"
#include "rules/glob.h"
#include "rules/secret_patterns.h"

namespace strata {

namespace {

// More matches than this in one file are the same mistake repeated.
constexpr size_t kMaxMatchesPerFile = 50;

// Binaries are told by a NUL in their first bytes, as grep and git do.
constexpr size_t kBinarySniffBytes = 8000;

struct Match {
  unsigned int pattern;
  unsigned long long end;
};

int OnMatch(unsigned int id, unsigned long long, unsigned long long to, unsigned int, void* context) {
  auto* matches = static_cast<std::vector<Match>*>(context);
  matches->push_back({id, to});
  return matches->size() >= kMaxMatchesPerFile * 4 ? 1 : 0;
}

// One scratch space per thread, cloned from the scanner's prototype.
struct ThreadScratch {
  const hs_database* database = nullptr;
  hs_scratch* scratch = nullptr;
  ~ThreadScratch() {
    if (scratch != nullptr) hs_free_scratch(scratch);
  }
};

hs_scratch* ScratchFor(const hs_database* database, hs_scratch* prototype) {
  thread_local ThreadScratch local;
  if (local.database != database) {
    if (local.scratch != nullptr) hs_free_scratch(local.scratch);
    local.scratch = nullptr;
    if (hs_clone_scratch(prototype, &local.scratch) != HS_SUCCESS)
      Fail("cannot allocate vectorscan scratch space");
    local.database = database;
  }
  return local.scratch;
}

std::string_view LineAround(std::string_view content, size_t offset, int* line_number) {
  size_t begin = content.rfind('\n', offset == 0 ? 0 : offset - 1);
  begin = begin == std::string_view::npos ? 0 : begin + 1;
  size_t end = content.find('\n', offset);
  if (end == std::string_view::npos) end = content.size();
  *line_number = 1 + static_cast<int>(std::count(content.begin(), content.begin() + begin, '\n'));
  return content.substr(begin, end - begin);
}

}  // namespace

bool IsPackageDatabase(std::string_view path) {
  return path == "var/lib/dpkg/status" || path == "lib/apk/db/installed";
}

std::vector<ContentPattern> ContentScanner::BuiltinPatterns() {
  std::vector<ContentPattern> patterns;
  for (const SecretPattern& p : BuiltinSecretPatterns())
    patterns.push_back({p.rule_id, p.regex, p.caseless, p.min_entropy, p.path_filter ? p.path_filter : ""});
  return patterns;
}

ContentScanner::ContentScanner(std::vector<ContentPattern> patterns, ScanLimits limits)
    : patterns_(std::move(patterns)), limits_(limits) {
  std::vector<const char*> expressions;
  std::vector<unsigned int> flags;
  std::vector<unsigned int> ids;
  for (size_t i = 0; i < patterns_.size(); ++i) {
    const ContentPattern& p = patterns_[i];
    try {
      auto syntax = std::regex::ECMAScript | (p.caseless ? std::regex::icase : std::regex::ECMAScript);
      regexes_.emplace_back(p.regex, syntax);
    } catch (const std::regex_error& error) {
      Fail("content rule {}: the pattern does not compile: {}", p.rule_id, error.what());
    }
    expressions.push_back(p.regex.c_str());
    flags.push_back(p.caseless ? HS_FLAG_CASELESS : 0);
    ids.push_back(static_cast<unsigned int>(i));
  }

  hs_compile_error_t* error = nullptr;
  if (hs_compile_multi(expressions.data(), flags.data(), ids.data(),
                       static_cast<unsigned int>(expressions.size()), HS_MODE_BLOCK, nullptr,
                       &database_, &error) != HS_SUCCESS) {
    std::string message = error != nullptr && error->message ? error->message : "unknown error";
    int which = error != nullptr ? error->expression : -1;
    hs_free_compile_error(error);
    Fail("content rule {}: vectorscan cannot compile its pattern: {}",
         which >= 0 ? patterns_[which].rule_id : "?", message);
  }
  if (hs_alloc_scratch(database_, &prototype_scratch_) != HS_SUCCESS)
    Fail("cannot allocate vectorscan scratch space");
}

ContentScanner::~ContentScanner() {
  hs_free_scratch(prototype_scratch_);
  hs_free_database(database_);
}

size_t ContentScanner::max_bytes() const {
  return std::max(limits_.max_scan_bytes, limits_.max_kept_bytes);
}

bool ContentScanner::Wants(const LayerEntry& entry) const {
  return entry.size > 0 && static_cast<size_t>(entry.size) <= limits_.max_scan_bytes &&
         !IsAllowListedContentPath(entry.path);
}

bool ContentScanner::Keeps(const LayerEntry& entry) const { return IsPackageDatabase(entry.path); }

void ContentScanner::Inspect(const LayerEntry& entry, size_t index, std::string_view content,
                             std::vector<ContentHit>* hits) const {
  // The layer reader stops buffering binaries; this also covers callers
  // that hand over whole files.
  if (!limits_.scan_binaries &&
      memchr(content.data(), 0, std::min(content.size(), kBinarySniffBytes)) != nullptr)
    return;
  Scan(entry.path, index, content, hits);
}

std::vector<ContentHit> ContentScanner::ScanText(std::string_view text) const {
  std::vector<ContentHit> hits;
  Scan("", 0, text, &hits);
  return hits;
}

void ContentScanner::Scan(std::string_view path, size_t index, std::string_view content,
                          std::vector<ContentHit>* hits) const {
  std::vector<Match> matches;
  hs_scratch* scratch = ScratchFor(database_, prototype_scratch_);
  hs_scan(database_, content.data(), static_cast<unsigned int>(content.size()), 0, scratch, OnMatch,
          &matches);
  if (matches.empty()) return;

  // Earlier patterns are the more specific: report one hit per line, from
  // the first pattern that confirms it.
  std::sort(matches.begin(), matches.end(), [](const Match& a, const Match& b) {
    return a.pattern != b.pattern ? a.pattern < b.pattern : a.end < b.end;
  });

  std::set<int> lines_reported;
  size_t reported = 0;
  for (const Match& match : matches) {
    const ContentPattern& pattern = patterns_[match.pattern];
    if (!pattern.path_filter.empty() && (path.empty() || !GlobMatch(pattern.path_filter, path)))
      continue;

    int line_number = 0;
    std::string_view line = LineAround(content, static_cast<size_t>(match.end - 1), &line_number);
    if (lines_reported.count(line_number)) continue;

    std::match_results<std::string_view::const_iterator> found;
    if (!std::regex_search(line.begin(), line.end(), found, regexes_[match.pattern])) continue;
    std::string secret = found.size() > 1 && found[1].matched ? found[1].str() : found[0].str();
    if (pattern.min_entropy > 0 && ShannonEntropy(secret) < pattern.min_entropy) continue;
    if (found.size() > 1 && LooksLikePlaceholder(secret)) continue;
    if (pattern.rule_id == "secret-generic-assignment" &&
        (LooksLikeCode(secret) || (!path.empty() && IsSystemPath(path))))
      continue;

    lines_reported.insert(line_number);
    std::string excerpt = found.size() > 1 ? Redact(secret) : secret;
    hits->push_back({index, pattern.rule_id, path.empty() ? 0 : line_number,
                     path.empty() ? excerpt : "line " + std::to_string(line_number) + ": " + excerpt});
    if (++reported >= kMaxMatchesPerFile) break;
  }
}

}  // namespace strata
