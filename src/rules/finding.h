// A finding: something that should not be in the image, tied to the layer
// and build step that put it there, with the fix that fits how it got in.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace strata {

enum class Severity : uint8_t { kInfo, kLow, kMedium, kHigh, kCritical };

// "info", "low", "medium", "high", "critical".
const char* SeverityName(Severity severity);

// Parses a severity name; returns false when |name| is not one.
bool ParseSeverity(std::string_view name, Severity* severity);

// How the content entered the image, from the history step.
enum class Route : uint8_t {
  kUnknown,  // No history step for the layer.
  kBase,     // A layer of the base image.
  kCopy,     // COPY or ADD from the build context or another stage.
  kRun,      // A RUN step.
  kConfig,   // The image config itself (ENV, LABEL, USER, build args).
};

const char* RouteName(Route route);

struct Finding {
  std::string rule_id;
  Severity severity = Severity::kInfo;
  std::string title;      // The rule's title.
  std::string path;       // The file or directory, without leading "/" ("" is the root).
  bool has_path = false;  // False for findings of the config and of package databases.
  // |path| as stored, when redacting a name that spells a secret changed
  // it: accepted findings' globs match either form. No report shows it.
  std::string unredacted_path;
  // The entry's name as its layer stores it, when that name leaves the
  // root (hostile-path: "..", "../x", "/etc/x") or is a bare whiteout
  // (odd-whiteout: "etc/.wh."): reports show it rather than /|path|, which
  // is only where strata reads it. Redacted.
  std::string stored_name;
  std::string detail;  // What exactly, redacted: "line 3: ghp_… (40 characters)".
  int layer = -1;      // 0-based layer that stores it; -1 for the config.
  int history_index = -1;
  std::string created_by;
  std::string copy_destination;  // For COPY/ADD: where the step copied to, absolute.
  Route route = Route::kUnknown;
  bool base = false;         // In a layer of the base image.
  int64_t bytes = 0;         // Bytes concerned (cache size, file size); 0 when not meaningful.
  int removed_by = -1;       // Layer that removed it, when a later layer did.
  bool overwritten = false;  // A later layer replaced it; this version is still stored.
  std::string fix;
  std::string accepted;  // The reason, when an accepted-findings entry covers it.
};

// How reports name a finding's path: its stored name when it has one,
// else "/" + path; "" when it has no path. Raw bytes, for the caller to
// escape.
std::string ShownPath(const Finding& finding);

}  // namespace strata
