#include "cli/report_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "base/error.h"
#include "base/output_file.h"
#include "base/stop_signals.h"

namespace strata {

namespace {

// One report on its way to a file.
struct Pending {
  const ReportOutput* output = nullptr;
  std::string target;  // What the temporary file replaces: the file, or where its link points.
  std::string temp;    // The temporary file beside |target|, until renamed.
  int fd = -1;         // A device or FIFO, opened first and written after the renames.
};

bool WriteAll(int fd, const std::string& text) {
  for (size_t done = 0; done < text.size();) {
    ssize_t put = write(fd, text.data() + done, text.size() - done);
    if (put < 0 && errno == EINTR) continue;
    if (put <= 0) return false;
    done += static_cast<size_t>(put);
  }
  return true;
}

// Opens |pending|'s file when it is a device or FIFO (which cannot be
// replaced by a rename), else says where its temporary file goes. May
// block on a FIFO without a reader, as writing to it would. Returns "" or
// why the report cannot be written.
std::string OpenTarget(Pending* pending) {
  const std::string& file = pending->output->file;
  // A link to a report is kept, as writing through it always did: the
  // report replaces what it points at, or is created there.
  OutputTarget target = LookAtOutput(file);
  pending->target = target.path;
  switch (target.kind) {
    case OutputTarget::kNew:
    case OutputTarget::kRegular:
      return "";
    case OutputTarget::kDirectory:
      return "it is a directory";
    case OutputTarget::kUnusable:
      return target.why;
    case OutputTarget::kSpecial:
      break;
  }
  pending->fd = open(file.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC);
  return pending->fd < 0 ? strerror(errno) : "";
}

// Writes |pending|'s text to a new temporary file beside its target, with
// the mode the target has (or a new file would get). Returns "" or why not.
std::string Stage(Pending* pending) {
  int fd = CreateTempBeside(pending->target, &pending->temp);
  if (fd < 0) return strerror(errno);
  bool written = WriteAll(fd, pending->output->text);
  int error = errno;
  if (close(fd) != 0 && written) {
    written = false;
    error = errno;
  }
  return written ? "" : strerror(error);
}

// Removes every temporary file and closes every device still open.
void Discard(std::vector<Pending>* pending) {
  for (Pending& p : *pending) {
    if (!p.temp.empty()) unlink(p.temp.c_str());
    p.temp.clear();
    if (p.fd >= 0) close(p.fd);
    p.fd = -1;
  }
}

void FailAfterDiscarding(std::vector<Pending>* pending, const Pending& failed,
                         const std::string& why) {
  Discard(pending);
  Fail("cannot write {}: {}; no report was written", failed.output->file, why);
}

}  // namespace

bool SameReportFile(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return a == b;
  struct stat info_a, info_b;
  bool exists_a = stat(a.c_str(), &info_a) == 0, exists_b = stat(b.c_str(), &info_b) == 0;
  // /dev/null named twice takes both reports, as below.
  if (a == b) return !exists_a || !S_ISCHR(info_a.st_mode);
  // Existing files: one file under any name, hard links included. Devices
  // and FIFOs are written in turn, not replaced: two names for one (as
  // /dev/stdout and /dev/stderr can be) each get their report.
  if (exists_a && exists_b)
    return S_ISREG(info_a.st_mode) && S_ISREG(info_b.st_mode) &&
           info_a.st_dev == info_b.st_dev && info_a.st_ino == info_b.st_ino;
  if (exists_a || exists_b) return false;
  // New ones (or links to new ones): the same path once links, "./" and
  // ".." are resolved.
  // Made absolute first: weakly_canonical leaves a relative path none of
  // whose parts exist as it was.
  namespace fs = std::filesystem;
  std::error_code error_a, error_b;
  fs::path path_a = fs::weakly_canonical(fs::absolute(FollowLinks(a), error_a), error_a);
  fs::path path_b = fs::weakly_canonical(fs::absolute(FollowLinks(b), error_b), error_b);
  return !error_a && !error_b && path_a == path_b;
}

void WriteReportFiles(const std::vector<ReportOutput>& outputs) {
  std::vector<Pending> pending;
  const ReportOutput* to_stdout = nullptr;
  for (const ReportOutput& output : outputs) {
    if (output.file.empty())
      to_stdout = &output;
    else
      pending.push_back(Pending{&output, output.file, "", -1});
  }

  for (Pending& p : pending) {
    std::string error = OpenTarget(&p);
    if (!error.empty()) FailAfterDiscarding(&pending, p, error);
  }

  {
    StopSignalsHeld held;
    for (Pending& p : pending) {
      if (p.fd >= 0) continue;
      std::string error = Stage(&p);
      if (!error.empty()) FailAfterDiscarding(&pending, p, error);
    }
    for (Pending& p : pending) {
      if (p.temp.empty()) continue;
      if (rename(p.temp.c_str(), p.target.c_str()) != 0) {
        int error = errno;
        Discard(&pending);
        Fail("cannot write {}: {}", p.output->file, strerror(error));
      }
      p.temp.clear();
    }
  }

  for (Pending& p : pending) {
    if (p.fd < 0) continue;
    bool written = WriteAll(p.fd, p.output->text);
    int error = errno;
    if (!written) {
      Discard(&pending);
      Fail("cannot write {}: {}", p.output->file, strerror(error));
    }
    close(p.fd);
    p.fd = -1;
  }

  if (to_stdout != nullptr) {
    fwrite(to_stdout->text.data(), 1, to_stdout->text.size(), stdout);
    if (fflush(stdout) != 0 || ferror(stdout))
      Fail("cannot write the report to standard output: {}", strerror(errno));
  }
}

}  // namespace strata
