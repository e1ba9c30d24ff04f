#include "rules/content_scanner.h"

#include <fmt/core.h>
#include <hs/hs.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <regex>
#include <set>

#include "base/error.h"
#include "blob/sha256.h"
#include "rules/glob.h"
#include "rules/secret_patterns.h"

namespace strata {

namespace {

// More matches than this in one file are the same mistake repeated.
constexpr size_t kMaxMatchesPerFile = 50;

// Bytes before the end of a vectorscan match handed to std::regex to
// confirm it: every built-in secret is far shorter, and std::regex's
// recursion stays shallow.
constexpr size_t kConfirmWindow = 512;

// Binaries are told by a NUL in their first bytes, as grep and git do.
constexpr size_t kBinarySniffBytes = 8000;

struct Match {
  unsigned int pattern;
  unsigned long long begin;  // Whole-match patterns only (SOM); else 0.
  unsigned long long end;
};

struct ScanState {
  std::vector<Match> matches;
  const std::vector<ContentPattern>* patterns;
};

// A whole-match pattern is reported at every end at which it matches:
// corp_[a-z0-9]+ at "corp_x", "corp_xy", … up to the whole token, each
// from the same start. A report from the start of the pattern's previous
// one extends it, so that the secret is the longest match (and a long
// token cannot use up the cap on matches before its end). Matches from
// other starts stay apart: [a-z0-9]{3} slides along a word three letters
// at a time, and their union is no match of it.
int OnMatch(unsigned int id, unsigned long long from, unsigned long long to, unsigned int,
            void* context) {
  auto* state = static_cast<ScanState*>(context);
  std::vector<Match>& matches = state->matches;
  if ((*state->patterns)[id].whole_match && !matches.empty() && matches.back().pattern == id &&
      matches.back().begin == from) {
    matches.back().end = std::max(matches.back().end, to);
    return 0;
  }
  matches.push_back({id, from, to});
  return matches.size() >= kMaxMatchesPerFile * 4 ? 1 : 0;
}

// Keeps, of the matches of each whole-match pattern from one start, the
// longest, where OnMatch could not (another pattern's match came between).
void KeepLongest(const std::vector<ContentPattern>& patterns, std::vector<Match>* matches) {
  std::sort(matches->begin(), matches->end(), [](const Match& a, const Match& b) {
    return a.pattern != b.pattern ? a.pattern < b.pattern : a.begin < b.begin;
  });
  std::vector<Match> joined;
  for (const Match& match : *matches) {
    if (!joined.empty() && patterns[match.pattern].whole_match &&
        joined.back().pattern == match.pattern && match.begin == joined.back().begin) {
      joined.back().end = std::max(joined.back().end, match.end);
      continue;
    }
    joined.push_back(match);
  }
  *matches = std::move(joined);
}

// One scratch space per thread, cloned from the scanner's prototype. It is
// known by the scanner's serial number, never by its database's address:
// a scanner made after another was freed may get the same address, and a
// scratch space too small for its database made every scan fail, in
// silence (seen as a test that lost a finding now and then).
struct ThreadScratch {
  uint64_t scanner = 0;
  hs_scratch* scratch = nullptr;
  ~ThreadScratch() {
    if (scratch != nullptr) hs_free_scratch(scratch);
  }
};

hs_scratch* ScratchFor(uint64_t scanner, hs_scratch* prototype) {
  thread_local ThreadScratch local;
  if (local.scanner != scanner) {
    if (local.scratch != nullptr) hs_free_scratch(local.scratch);
    local.scratch = nullptr;
    if (hs_clone_scratch(prototype, &local.scratch) != HS_SUCCESS)
      Fail("cannot allocate vectorscan scratch space");
    local.scanner = scanner;
  }
  return local.scratch;
}

// Scanners in the order they were made, from 1: see ThreadScratch.
std::atomic<uint64_t> scanners_made{0};

// hs_scan's result: a match handler's stop is no error; anything else is.
void CheckScan(hs_error_t result) {
  if (result != HS_SUCCESS && result != HS_SCAN_TERMINATED)
    Fail("vectorscan could not scan (error {})", static_cast<int>(result));
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
    patterns.push_back({p.rule_id, p.regex, p.caseless, p.min_entropy,
                        p.path_filter ? p.path_filter : "", p.confirm ? p.confirm : ""});
  return patterns;
}

namespace {

// Names a compiled database: the vectorscan release, the CPU features it
// compiles for, and every expression with its flags.
std::string CompiledKey(const std::vector<const char*>& expressions,
                        const std::vector<unsigned int>& flags) {
  hs_platform_info_t platform{};
  hs_populate_platform(&platform);
  std::string text = fmt::format("vectorscan {}\nplatform {} {}\n", hs_version(), platform.tune,
                                 platform.cpu_features);
  for (size_t i = 0; i < expressions.size(); ++i)
    text += fmt::format("{} {} {}\n", flags[i], strlen(expressions[i]), expressions[i]);
  return Sha256Of(text);
}

// vectorscan's compile error |message| in the words of PatternProblem.
std::string PlainCompileError(std::string message) {
  if (message.find("empty buffer") != std::string::npos)
    // A custom rule reports where its match starts (HS_FLAG_SOM_LEFTMOST),
    // and a match of nothing starts nowhere.
    return "matches empty text, so it has no start to report; make it match at least one "
           "character";
  if (message == "Pattern can never match.") return "can never match anything";
  if (message.starts_with("Pattern is too large") || message.starts_with("Pattern too large"))
    return "is too large for the scanner (vectorscan); split it or bound its repeats";
  if (message.ends_with(".")) message.pop_back();
  if (!message.empty())
    message[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(message[0])));
  return "does not compile: " + message;
}

unsigned int CompileFlags(const ContentPattern& pattern) {
  return (pattern.caseless ? HS_FLAG_CASELESS : 0) |
         (pattern.whole_match ? HS_FLAG_SOM_LEFTMOST : 0);
}

}  // namespace

std::string PatternProblem(const ContentPattern& pattern) {
  if (!pattern.whole_match) {
    try {
      auto syntax =
          std::regex::ECMAScript | (pattern.caseless ? std::regex::icase : std::regex::ECMAScript);
      std::regex(pattern.regex, syntax);
    } catch (const std::regex_error& error) {
      return std::string("does not compile: ") + error.what();
    }
  }
  hs_database_t* database = nullptr;
  hs_compile_error_t* error = nullptr;
  if (hs_compile(pattern.regex.c_str(), CompileFlags(pattern), HS_MODE_BLOCK, nullptr, &database,
                 &error) == HS_SUCCESS) {
    hs_free_database(database);
    return "";
  }
  std::string message = error != nullptr && error->message ? error->message : "unknown error";
  hs_free_compile_error(error);
  return PlainCompileError(message);
}

bool ContentScanner::LoadCompiled(const CompiledPatternStore& store, const std::string& key) {
  if (!store.find) return false;
  std::optional<std::string> bytes = store.find(key);
  if (!bytes) return false;
  // vectorscan checks the bytes' own header and CRC before using them.
  if (hs_deserialize_database(bytes->data(), bytes->size(), &database_) == HS_SUCCESS) return true;
  database_ = nullptr;
  return false;
}

ContentScanner::ContentScanner(std::vector<ContentPattern> patterns, ScanLimits limits,
                               const CompiledPatternStore& store)
    : patterns_(std::move(patterns)), limits_(limits), serial_(++scanners_made) {
  std::vector<const char*> expressions;
  std::vector<unsigned int> flags;
  std::vector<unsigned int> ids;
  for (size_t i = 0; i < patterns_.size(); ++i) {
    const ContentPattern& p = patterns_[i];
    regexes_.emplace_back();
    if (!p.whole_match) {
      try {
        auto syntax =
            std::regex::ECMAScript | (p.caseless ? std::regex::icase : std::regex::ECMAScript);
        regexes_.back() = std::regex(p.confirm.empty() ? p.regex : p.confirm, syntax);
      } catch (const std::regex_error& error) {
        Fail("content rule {}: its pattern does not compile: {}", p.rule_id, error.what());
      }
    }
    expressions.push_back(p.regex.c_str());
    flags.push_back(CompileFlags(p));
    ids.push_back(static_cast<unsigned int>(i));
  }

  std::string key = CompiledKey(expressions, flags);
  bool compiled = !LoadCompiled(store, key);
  if (compiled) Compile(expressions, flags, ids);
  if (hs_alloc_scratch(database_, &prototype_scratch_) != HS_SUCCESS)
    Fail("cannot allocate vectorscan scratch space");

  char* bytes = nullptr;
  size_t size = 0;
  if (compiled && store.store && hs_serialize_database(database_, &bytes, &size) == HS_SUCCESS) {
    store.store(key, std::string(bytes, size));
    free(bytes);
  }
}

void ContentScanner::Compile(const std::vector<const char*>& expressions,
                             const std::vector<unsigned int>& flags,
                             const std::vector<unsigned int>& ids) {
  hs_compile_error_t* error = nullptr;
  if (hs_compile_multi(expressions.data(), flags.data(), ids.data(),
                       static_cast<unsigned int>(expressions.size()), HS_MODE_BLOCK, nullptr,
                       &database_, &error) != HS_SUCCESS) {
    std::string message = error != nullptr && error->message ? error->message : "unknown error";
    int which = error != nullptr ? error->expression : -1;
    hs_free_compile_error(error);
    Fail("content rule {}: its pattern {}", which >= 0 ? patterns_[which].rule_id : "?",
         PlainCompileError(message));
  }
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

std::string ContentScanner::CacheKey() const {
  // Lengths before strings, so no two pattern lists spell the same key.
  // "keeps 2": the package databases and the account databases.
  std::string key = fmt::format("scan {} {} {} keeps 2", limits_.max_scan_bytes,
                                limits_.max_kept_bytes, limits_.scan_binaries);
  for (const ContentPattern& p : patterns_)
    key += fmt::format("\n{}:{} {}:{} {}:{} {}:{} {} {} {}", p.rule_id.size(), p.rule_id,
                       p.regex.size(), p.regex, p.confirm.size(), p.confirm, p.path_filter.size(),
                       p.path_filter, p.caseless, p.min_entropy, p.whole_match);
  return key;
}

// The account databases too: explore names owners by them, as ls -l does.
bool ContentScanner::Keeps(const LayerEntry& entry) const {
  return IsPackageDatabase(entry.path) || entry.path == "etc/passwd" || entry.path == "etc/group";
}

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

std::vector<ContentScanner::Span> ContentScanner::FindSecrets(std::string_view path,
                                                              std::string_view content,
                                                              size_t min_length) const {
  std::vector<Span> spans;
  ScanState state{{}, &patterns_};
  hs_scratch* scratch = ScratchFor(serial_, prototype_scratch_);
  CheckScan(hs_scan(database_, content.data(), static_cast<unsigned int>(content.size()), 0,
                    scratch, OnMatch, &state));
  std::vector<Match>& matches = state.matches;
  if (matches.empty()) return spans;
  KeepLongest(patterns_, &matches);

  // Earlier patterns are the more specific: one secret per line, from the
  // first pattern that confirms it.
  std::sort(matches.begin(), matches.end(), [](const Match& a, const Match& b) {
    return a.pattern != b.pattern ? a.pattern < b.pattern : a.end < b.end;
  });

  // A secret is reported once, by the first pattern (the most specific)
  // that confirms it; spans that overlap it are the same secret.
  auto overlaps = [&spans](size_t begin, size_t end) {
    for (const Span& span : spans)
      if (begin < span.end && span.begin < end) return true;
    return false;
  };

  for (const Match& match : matches) {
    const ContentPattern& pattern = patterns_[match.pattern];
    if (!pattern.path_filter.empty() && (path.empty() || !GlobMatch(pattern.path_filter, path)))
      continue;

    int line_number = 0;
    std::string_view line = LineAround(content, static_cast<size_t>(match.end - 1), &line_number);

    if (pattern.whole_match) {
      size_t begin = static_cast<size_t>(match.begin);
      std::string_view secret = content.substr(begin, static_cast<size_t>(match.end) - begin);
      if (secret.size() < min_length || overlaps(begin, begin + secret.size())) continue;
      if (pattern.min_entropy > 0 && ShannonEntropy(secret) < pattern.min_entropy) continue;
      spans.push_back({begin, begin + secret.size(), line_number, match.pattern});
      if (spans.size() >= kMaxMatchesPerFile) return spans;
      continue;
    }

    // std::regex recurses once per character it matches: hand it a window
    // around the match, never a whole (possibly megabyte-long) line.
    size_t end_in_line =
        static_cast<size_t>(match.end) - static_cast<size_t>(line.data() - content.data());
    size_t window_start = end_in_line > kConfirmWindow ? end_in_line - kConfirmWindow : 0;
    std::string_view window =
        line.substr(window_start, std::min(line.size() - window_start, 2 * kConfirmWindow));
    size_t window_offset = static_cast<size_t>(window.data() - content.data());

    using Iterator = std::regex_iterator<std::string_view::const_iterator>;
    for (Iterator it(window.begin(), window.end(), regexes_[match.pattern]), end; it != end; ++it) {
      // The secret is the first group that matched: a pattern of several
      // forms (quoted or not) has a group for each. A match of a pattern
      // with groups that holds none passes over what it matched (redis's
      // directive lines without a password).
      const auto& found = *it;
      size_t group = 1;
      while (group < found.size() && !found[group].matched) ++group;
      if (group == found.size()) {
        if (found.size() > 1) continue;
        group = 0;
      }
      std::string secret = found[group].str();
      size_t begin = window_offset + static_cast<size_t>(found.position(group));
      if (secret.size() < min_length) continue;
      if (overlaps(begin, begin + secret.size())) continue;
      if (pattern.min_entropy > 0 && ShannonEntropy(secret) < pattern.min_entropy) continue;
      if (group > 0 && LooksLikePlaceholder(secret)) continue;
      if (pattern.rule_id == "secret-generic-assignment" &&
          (LooksLikeCode(secret) || (!path.empty() && IsSystemPath(path))))
        continue;
      spans.push_back({begin, begin + secret.size(), line_number, match.pattern});
      if (spans.size() >= kMaxMatchesPerFile) return spans;
    }
  }
  return spans;
}

void ContentScanner::Scan(std::string_view path, size_t index, std::string_view content,
                          std::vector<ContentHit>* hits) const {
  for (const Span& span : FindSecrets(path, content)) {
    std::string excerpt = ExcerptOf(span, content);
    hits->push_back(
        {index, patterns_[span.pattern].rule_id, path.empty() ? 0 : span.line,
         path.empty() ? excerpt : "line " + std::to_string(span.line) + ": " + excerpt});
  }
}

std::string ContentScanner::ExcerptOf(const Span& span, std::string_view content) const {
  std::string_view secret = content.substr(span.begin, span.end - span.begin);
  // A private key's header is not the secret; everything else is shown
  // only redacted, custom rules included.
  bool header_only = patterns_[span.pattern].rule_id == "secret-private-key";
  return header_only ? std::string(secret) : Redact(secret);
}

std::string ContentScanner::RedactText(std::string_view text) const {
  return RedactSecrets(text, 0);
}

std::string ContentScanner::RedactPath(std::string_view path) const {
  std::string redacted;
  redacted.reserve(path.size());
  for (size_t begin = 0;;) {
    size_t slash = path.find('/', begin);
    redacted += RedactSecrets(path.substr(begin, slash - begin), kMinPathSecret);
    if (slash == std::string_view::npos) break;
    redacted += '/';
    begin = slash + 1;
  }
  return redacted;
}

std::vector<ContentScanner::FoundSecret> ContentScanner::FindPathSecrets(
    std::string_view path) const {
  std::vector<FoundSecret> secrets;
  for (size_t begin = 0; begin <= path.size();) {
    size_t end = std::min(path.find('/', begin), path.size());
    std::string_view name = path.substr(begin, end - begin);
    std::vector<Span> spans = FindSecrets("", name, kMinPathSecret);
    std::sort(spans.begin(), spans.end(),
              [](const Span& a, const Span& b) { return a.begin < b.begin; });
    for (const Span& span : spans)
      secrets.push_back({patterns_[span.pattern].rule_id, begin + span.begin, begin + span.end, end,
                         Redact(name.substr(span.begin, span.end - span.begin))});
    begin = end + 1;
  }
  return secrets;
}

std::vector<ContentScanner::FoundSecret> ContentScanner::FindTextSecrets(
    std::string_view text) const {
  std::vector<Span> spans = FindSecrets("", text);
  std::sort(spans.begin(), spans.end(),
            [](const Span& a, const Span& b) { return a.begin < b.begin; });
  std::vector<FoundSecret> secrets;
  for (const Span& span : spans)
    secrets.push_back({patterns_[span.pattern].rule_id, span.begin, span.end, text.size(),
                       ExcerptOf(span, text)});
  return secrets;
}

std::vector<bool> ContentScanner::MayMatch(const std::vector<std::string_view>& texts) const {
  // Texts are scanned in batches, one after another, each ended by a
  // newline; a match is its text's when it ends within it (every end of
  // every match is reported, so one that runs on from an earlier text also
  // ends in that text when the earlier text matches on its own).
  constexpr size_t kBatchBytes = size_t{64} << 20;
  struct Batch {
    std::string joined;
    std::vector<size_t> ends;  // Of each text, its newline included.
    size_t first = 0;          // Index of its first text in |texts|.
    std::vector<bool>* matched;
  };
  auto on_match = [](unsigned int, unsigned long long, unsigned long long to, unsigned int,
                     void* context) {
    auto* batch = static_cast<Batch*>(context);
    auto it = std::lower_bound(batch->ends.begin(), batch->ends.end(), to);
    if (it != batch->ends.end())
      (*batch->matched)[batch->first + (it - batch->ends.begin())] = true;
    return 0;
  };

  std::vector<bool> matched(texts.size(), false);
  hs_scratch* scratch = ScratchFor(serial_, prototype_scratch_);
  Batch batch{"", {}, 0, &matched};
  auto scan = [&] {
    if (!batch.joined.empty())
      CheckScan(hs_scan(database_, batch.joined.data(),
                        static_cast<unsigned int>(batch.joined.size()), 0, scratch, on_match,
                        &batch));
    batch.joined.clear();
    batch.ends.clear();
  };
  for (size_t i = 0; i < texts.size(); ++i) {
    // A text longer than a batch is no path; it is scanned alone.
    if (!batch.joined.empty() && batch.joined.size() + texts[i].size() >= kBatchBytes) scan();
    if (batch.ends.empty()) batch.first = i;
    batch.joined.append(texts[i]);
    batch.joined += '\n';
    batch.ends.push_back(batch.joined.size());
  }
  scan();
  return matched;
}

std::string ContentScanner::RedactSecrets(std::string_view text, size_t min_length) const {
  if (text.empty()) return "";
  std::vector<Span> spans = FindSecrets("", text, min_length);
  std::sort(spans.begin(), spans.end(),
            [](const Span& a, const Span& b) { return a.begin > b.begin; });
  std::string redacted(text);
  size_t limit = redacted.size();
  for (const Span& span : spans) {
    if (span.end > limit) continue;  // Overlaps one already replaced.
    redacted.replace(span.begin, span.end - span.begin,
                     Redact(text.substr(span.begin, span.end - span.begin)));
    limit = span.begin;
  }
  return redacted;
}

}  // namespace strata
