// Paths as strata's outputs show them. A file may be named after a secret
// (a token used as its name), and no output shows a secret in full: the
// paths that reports and listings print pass through
// ContentScanner::RedactPath first. Each function here scans all of its
// paths together (ContentScanner::MayMatch) and redacts only those that
// may match, so a million paths cost one scan, not a million.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "model/analysis.h"
#include "model/image_diff.h"
#include "rules/content_scanner.h"

namespace strata {

// Calls |redacted| with the index and redacted form of each of |paths|
// that spells a secret. Copies nothing else: a waste list or a layer's
// changes may hold a million paths.
void ForEachRedacted(const ContentScanner& scanner, const std::vector<std::string_view>& paths,
                     const std::function<void(size_t, std::string)>& redacted);

// Points each waste item whose path names a secret at its redacted form,
// kept in |analysis|: the waste lists of every report show no more of it.
void RedactWastePaths(const ContentScanner& scanner, Analysis* analysis);

// The same for the layers' changes (`layers`): of layer |only_layer|
// (every layer when -1), the first |limit| of each (all when 0), the ones
// a report of them shows. The merge's tree is left as stored.
void RedactChangePaths(const ContentScanner& scanner, int only_layer, int limit,
                       Analysis* analysis);

// The paths of every added, removed and changed file and top-level
// directory of |diff|, redacted in place.
void RedactDiffPaths(const ContentScanner& scanner, ImageDiff* diff);

// |text| (a finding's detail, a warning) with each word that holds a '/'
// read as a path and redacted as one: "hard link /h/ghp_… points to …".
// |bare_names|: every word is read as a path, for text that names link
// targets as stored ("a symbolic link to ghp_…", a name with no '/') and
// holds nothing else a pattern could take for a secret.
std::string RedactPathsInText(const ContentScanner& scanner, std::string_view text,
                              bool bare_names = false);

// Each of |warnings| through RedactPathsInText: the merge names paths in
// them as stored.
void RedactWarnings(const ContentScanner& scanner, std::vector<std::string>* warnings);

}  // namespace strata
