// What changed between two analysed images, for `strata diff A B`: which
// layers they share, which files B added, removed or changed against A,
// how the bytes moved per top-level directory, and which findings are new
// or gone. The diff owns copies of everything it reports, so it outlives
// both analyses.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/analysis.h"
#include "rules/evaluate.h"

namespace strata {

// One image as the diff reports it.
struct DiffImage {
  std::string input;      // As named on the command line.
  std::string reference;  // The tag chosen, "" when none.
  std::string format;
  std::string endpoint;  // The Engine it came from (ImageSource::endpoint), or "".
  int layers = 0;
  int64_t blob_bytes = 0;   // Stored bytes of the distinct layer blobs.
  int64_t final_files = 0;  // Regular files of the final filesystem (hard links once).
  int64_t final_bytes = 0;
};

// A layer that only one image has.
struct DiffLayer {
  int index = 0;  // 0-based, in its own image.
  std::string diff_id;
  int64_t content_bytes = 0;
  std::string step;  // The build step's instruction ("RUN apt-get …"), "" when unknown.
};

struct LayerComparison {
  // Leading layers equal in both (same diff_id at the same position): the
  // part a registry and a runtime store once for both images.
  int shared_prefix = 0;
  // diff_ids present in both images at any position, in A's order.
  std::vector<std::string> shared;
  std::vector<DiffLayer> only_a;
  std::vector<DiffLayer> only_b;
};

enum class FileChange : uint8_t { kAdded, kRemoved, kChanged };

// "added", "removed", "changed".
const char* FileChangeName(FileChange change);

// What differs between the two versions of a changed path; a bit set.
enum FileDifference : uint32_t {
  kDiffType = 1 << 0,     // File, directory, symbolic link, ...
  kDiffSize = 1 << 1,     // Content bytes.
  kDiffContent = 1 << 2,  // Content hash (with or without a size change).
  kDiffMode = 1 << 3,     // Permission bits, setuid, setgid, sticky.
  kDiffOwner = 1 << 4,    // uid or gid.
  kDiffLink = 1 << 5,     // A symbolic link's target.
  kDiffDevice = 1 << 6,   // A device's major or minor number.
};

// The names of the bits set in |differences|, in the order above:
// {"size", "content"}.
std::vector<std::string> FileDifferenceNames(uint32_t differences);

struct FileDiff {
  std::string path;  // Absolute: "/usr/bin/curl".
  FileChange change = FileChange::kChanged;
  EntryKind type_a = EntryKind::kFile;  // Meaningless when added.
  EntryKind type_b = EntryKind::kFile;  // Meaningless when removed.
  int64_t size_a = 0;                   // Content bytes; 0 for the side that lacks the path.
  int64_t size_b = 0;
  uint32_t differences = 0;  // FileDifference bits; 0 unless changed.

  int64_t delta() const { return size_b - size_a; }
};

// Regular-file bytes beneath one top-level directory ("/usr") in each
// image; files directly in "/" count under "/". Hard links count once.
struct DirectoryDelta {
  std::string path;
  int64_t files_a = 0, files_b = 0;
  int64_t bytes_a = 0, bytes_b = 0;

  int64_t delta() const { return bytes_b - bytes_a; }
};

struct ImageDiff {
  DiffImage a, b;
  LayerComparison layers;

  // Every path whose presence or metadata differs (directories included;
  // mtimes are not compared, since every rebuild changes them). Added and
  // removed: largest first; changed: largest |delta| first; then by path.
  std::vector<FileDiff> added, removed, changed;

  // Every top-level directory in either image, largest |delta| first.
  std::vector<DirectoryDelta> directories;

  // Findings keyed by rule, path and detail. Filled only when both
  // images' findings were given (findings_compared).
  bool findings_compared = false;
  std::vector<Finding> findings_only_a;  // Fixed, or gone with their files.
  std::vector<Finding> findings_only_b;  // New in B.
  int findings_shared = 0;
};

// Compares |a| (before) with |b| (after). |rules_a| and |rules_b| may be
// null; findings are compared only when both are given. Throws Error when
// either analysis was made without reading layers (config_only).
ImageDiff DiffImages(const Analysis& a, const Analysis& b, const RuleResults* rules_a,
                     const RuleResults* rules_b);

}  // namespace strata
