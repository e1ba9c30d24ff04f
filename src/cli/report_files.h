// Writing several reports as one step (audit -o FILE, --format X=FILE,
// repeated): either every report is written or, as far as the file system
// allows, none is, and reports that existed keep their old content.
#pragma once

#include <string>
#include <vector>

namespace strata {

struct ReportOutput {
  std::string file;  // "" is standard output.
  std::string text;
};

// Writes each report of |outputs|. A regular file (or a new one) is written
// beside its target under a temporary name (TARGET.strata-XXXXXX, through
// a symbolic link to where it points), and the temporary files are renamed
// over their targets only once all are written; a target that is neither
// (a device such as /dev/stdout or /dev/null, a FIFO) is opened first and
// written after the renames, and standard output last. Throws Error naming
// the report that could not be written, after removing every temporary
// file; only a rename failing after others succeeded (the target turned
// into a directory meanwhile) or a write to a device or standard output
// can leave some reports written. SIGINT and SIGTERM wait while the
// temporary files exist. Call from the main thread only.
void WriteReportFiles(const std::vector<ReportOutput>& outputs);

// Whether reports written to the files |a| and |b| would land in one file:
// the same file under two spellings ("same.json", "./same.json"), through
// a symbolic link (to an existing file or one not yet written), or a hard
// link. "" (standard output) is only the same as "". Two names for one
// device or FIFO are not: each report is written to it in turn.
bool SameReportFile(const std::string& a, const std::string& b);

}  // namespace strata
