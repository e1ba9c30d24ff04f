// Saving one file of an image to a path on this machine, for the
// explorer's save key: the bytes come from CatFile, the same extraction
// `strata cat` uses, and a worker thread does the reading so the screen
// never waits on a layer blob.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "layer/limits.h"
#include "model/analysis.h"

namespace strata {

// Writes the content of |path| as layer |layer| (0-based) of |analysis|
// stores it (read from the image's blob, up to it) to the
// new file |target|; when |target| is a directory, to a file there named
// like the image's. Never replaces an existing file and never follows a
// symbolic link at |target|; the file gets mode 0644 (no setuid from the
// image), or 0600 when it is |secret| (a finding says it holds one: a key
// saved to look at must not be readable by every user of the machine). The file appears only when complete: it is written beside as
// FILE.strata-XXXXXX and renamed, and that file is removed on failure and
// by a stop signal (RemovedOnStop). Returns the path written; throws Error
// with one line naming what went wrong.
std::string SaveImageFile(const Analysis& analysis, const std::string& path, int layer,
                          const std::string& target, const ReadLimits& limits,
                          bool secret = false);

// Runs one SaveImageFile at a time on a worker thread.
class FileSaver {
 public:
  FileSaver() = default;
  ~FileSaver();  // Waits for a running save.
  FileSaver(const FileSaver&) = delete;
  FileSaver& operator=(const FileSaver&) = delete;

  // Starts saving; |analysis| must outlive the save. False when one is
  // already running. |shown| gives a name as the screen shows it (one that
  // spells a token redacted): the message names the path and file so.
  bool Start(const Analysis& analysis, const std::string& path, int layer,
             const std::string& target, const ReadLimits& limits, bool secret,
             std::function<std::string(std::string_view)> shown);

  bool busy();

  // The message of a finished save ("saved …" or the error), once; false
  // while running or when there is none.
  bool TakeResult(std::string* message);

 private:
  std::mutex mutex_;
  std::thread worker_;
  bool running_ = false;
  bool has_result_ = false;
  std::string result_;
};

}  // namespace strata
