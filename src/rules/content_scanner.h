// Runs every content pattern over a file in one vectorscan pass, then
// confirms each match of a built-in pattern on its line with the
// pattern's std::regex (to pull out the secret, check its entropy and
// rule out placeholders), and keeps only a redacted excerpt. Implements
// the layer reader's ContentInspector, so the scan happens inside the one
// pass over each layer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "layer/content_inspector.h"

struct hs_database;
struct hs_scratch;

namespace strata {

struct ContentPattern {
  std::string rule_id;
  std::string regex;
  bool caseless = false;
  double min_entropy = 0;
  std::string path_filter;  // Globs; "" for any file.
  // Built-in patterns only: the expression std::regex confirms a match
  // with, when it is not |regex| (SecretPattern::confirm).
  std::string confirm;
  // Custom rules: the secret is the whole match, found by vectorscan alone
  // (which reports where it starts). Built-in patterns are confirmed with
  // std::regex to pull out a group and rule out placeholders; a pattern
  // from a configuration is not, since std::regex backtracks, and text an
  // image holds could make it run without end (`(a*)*$` on "aaa…b").
  bool whole_match = false;
};

struct ScanLimits {
  // Files larger than this are not scanned for secrets. 1 MiB covers
  // configuration and source files; larger text is data or bundles.
  size_t max_scan_bytes = 1 << 20;
  // Package databases kept whole for parsing; Debian's dpkg status for a
  // full build toolchain is about 1 MB.
  size_t max_kept_bytes = 64 << 20;
  bool scan_binaries = false;
};

// Where compiled pattern databases are kept between runs (the layer
// cache): compiling the built-in patterns was 40% of a warm audit of a
// small image. Either function may be empty.
struct CompiledPatternStore {
  // The bytes stored under |key|, or nullopt.
  std::function<std::optional<std::string>(const std::string& key)> find;
  std::function<void(const std::string& key, const std::string& bytes)> store;
};

// What keeps |pattern| from being scanned for, said plainly after the
// pattern ("matches empty text, so it has no start to report"), or "" when
// it compiles. For configuration errors, which name the key.
std::string PatternProblem(const ContentPattern& pattern);

class ContentScanner : public ContentInspector {
 public:
  // Compiles |patterns|, or takes them compiled from |store| when it holds
  // them for this vectorscan and this CPU; throws Error naming a pattern
  // that does not compile.
  ContentScanner(std::vector<ContentPattern> patterns, ScanLimits limits,
                 const CompiledPatternStore& store = {});
  ~ContentScanner() override;

  size_t max_bytes() const override;
  bool inspects_binaries() const override { return limits_.scan_binaries; }
  bool Wants(const LayerEntry& entry) const override;
  bool Keeps(const LayerEntry& entry) const override;
  void Inspect(const LayerEntry& entry, size_t index, std::string_view content,
               std::vector<ContentHit>* hits) const override;
  std::string CacheKey() const override;

  // Scans a piece of text that is not a file (an ENV value, a history
  // step); |path| is "" so path-filtered patterns do not apply.
  std::vector<ContentHit> ScanText(std::string_view text) const;

  // |text| with every secret a pattern confirms replaced by its redacted
  // form ("ghp_…(40 characters)"): for config strings that reports print
  // (history steps, CMD) so that no format shows a secret in full.
  std::string RedactText(std::string_view text) const;

  // |path| (an image path, a link target) with every secret a pattern
  // confirms in one of its components replaced by its redacted form: a
  // file may be named after a token. Narrower than RedactText, so that a
  // loose custom pattern (`[a-z0-9]{3}`) leaves /app/.env as it is: each
  // component is scanned on its own (a name cannot hold a '/', so neither
  // can a token used as one), and a match shorter than kMinPathSecret
  // characters is a word, not a credential, and is kept.
  std::string RedactPath(std::string_view path) const;

  // A secret that RedactPath hides in a path, or RedactText in a text.
  struct FoundSecret {
    std::string rule_id;   // Of the pattern that found it.
    size_t begin, end;     // Where the secret itself is: to tell whether another text holds it.
    size_t component_end;  // Where its component ends in the path; a text's size.
    std::string excerpt;   // The secret, redacted, as ScanText shows it.
  };

  // Every secret RedactPath hides in |path|, in the order they appear:
  // a name that is hidden is reported too.
  std::vector<FoundSecret> FindPathSecrets(std::string_view path) const;

  // Every secret RedactText hides in |text|, in the order they appear: the
  // hits ScanText gives, with where each secret is.
  std::vector<FoundSecret> FindTextSecrets(std::string_view text) const;

  // For each of |texts|, whether some pattern matches in it: what
  // RedactPath may change. One scan of them all, joined, rather than a
  // scan (and its setup) for each of the 200,000 paths of a waste list.
  std::vector<bool> MayMatch(const std::vector<std::string_view>& texts) const;

  // The shortest secret RedactPath hides: the shortest a built-in pattern
  // confirms within one component (the generic assignment's value, 8), so
  // that built-in patterns hide in paths what they did over whole paths.
  static constexpr size_t kMinPathSecret = 8;

  // The built-in patterns as ContentPatterns.
  static std::vector<ContentPattern> BuiltinPatterns();

 private:
  bool LoadCompiled(const CompiledPatternStore& store, const std::string& key);
  void Compile(const std::vector<const char*>& expressions, const std::vector<unsigned int>& flags,
               const std::vector<unsigned int>& ids);
  void Scan(std::string_view path, size_t index, std::string_view content,
            std::vector<ContentHit>* hits) const;

  // A confirmed secret: where it is in the scanned text.
  struct Span {
    size_t begin, end;
    int line;
    size_t pattern;
  };
  // The secrets of |content| (the file at |path|, "" for other text) that
  // are |min_length| characters or longer; a shorter match is not one,
  // and leaves the text it covers to the other patterns.
  std::vector<Span> FindSecrets(std::string_view path, std::string_view content,
                                size_t min_length = 0) const;
  // How a finding shows the secret of |span| in |content|: redacted (a
  // private key's header as it is).
  std::string ExcerptOf(const Span& span, std::string_view content) const;
  // |text| with the secrets FindSecrets finds in it redacted.
  std::string RedactSecrets(std::string_view text, size_t min_length) const;

  std::vector<ContentPattern> patterns_;
  std::vector<std::regex> regexes_;  // Empty for whole-match patterns.
  ScanLimits limits_;
  hs_database* database_ = nullptr;
  hs_scratch* prototype_scratch_ = nullptr;
  uint64_t serial_ = 0;  // Which scanner this is, for threads' scratch spaces.
};

// True for the package databases the build-tool rule reads.
bool IsPackageDatabase(std::string_view path);

}  // namespace strata
