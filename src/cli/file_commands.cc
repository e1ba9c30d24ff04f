#include "cli/file_commands.h"

#include <fmt/core.h>
#include <unistd.h>

#include <cstdio>

#include "base/error.h"
#include "cli/limit_options.h"
#include "cli/progress.h"
#include "extract/image_files.h"
#include "extract/safe_writer.h"
#include "extract/tar_sink.h"
#include "model/analysis.h"
#include "report/listing.h"
#include "report/style.h"

namespace strata {

namespace {

struct FileOptions {
  std::string image;
  std::string path = "/";
  std::string target;
  std::string platform;
  int layer = 0;  // 1-based; 0: the final filesystem.
  bool long_format = false;
  bool recursive = false;
  bool all = false;
  bool quiet = false;
  bool squash = false;
  bool overwrite = false;
  bool keep_setuid = false;
  bool no_same_owner = false;
  LimitFlags limits;
};

ImageSource Open(const FileOptions& options) {
  OpenOptions open;
  open.platform = options.platform;
  return OpenImage(options.image, open);
}

Analysis AnalyzeImage(const FileOptions& options) {
  ImageSource source = Open(options);
  std::atomic<int64_t> bytes_read{0};
  AnalyzeOptions analyze;
  analyze.bytes_read = &bytes_read;
  analyze.limits = options.limits.Resolve();
  Progress progress(&bytes_read, KnownBlobBytes(source), !options.quiet);
  return Analyze(std::move(source), analyze);
}

int CheckLayer(const Analysis& analysis, int layer) {
  int count = static_cast<int>(analysis.layers.size());
  if (layer < 0 || layer > count)
    Fail("--layer {} is out of range: the image has {} layers (1 to {})", layer, count, count);
  return layer - 1;
}

void Write(const std::string& text) {
  fwrite(text.data(), 1, text.size(), stdout);
  if (fflush(stdout) != 0) Fail("cannot write to standard output");
}

int RunLs(const FileOptions& options) {
  Analysis analysis = AnalyzeImage(options);
  int layer = CheckLayer(analysis, options.layer);
  LsOptions ls{options.long_format, options.recursive, options.all};
  // TODO: name owners from the image's /etc/passwd and /etc/group.
  std::map<uint32_t, std::string> users{{0, "root"}}, groups{{0, "root"}};
  if (layer >= 0) {
    LayerMerge merge = MergeThrough(analysis, layer);
    Write(LsText(merge.tree(), options.path, ls, users, groups));
  } else {
    Write(LsText(analysis.merge.tree(), options.path, ls, users, groups));
  }
  return 0;
}

int RunCat(const FileOptions& options) {
  ImageSource source = Open(options);
  int count = static_cast<int>(source.layers.size());
  if (options.layer < 0 || options.layer > count)
    Fail("--layer {} is out of range: the image has {} layers (1 to {})", options.layer, count, count);
  CatFile(
      source, options.path, options.layer - 1,
      [](const char* data, size_t size) {
        if (fwrite(data, 1, size, stdout) != size) Fail("cannot write to standard output");
      },
      options.limits.Resolve());
  if (fflush(stdout) != 0) Fail("cannot write to standard output");
  return 0;
}

int RunExport(const FileOptions& options) {
  if (options.squash && options.layer != 0) Fail("--squash and --layer cannot be used together");
  bool to_stdout = options.target == "-";
  if (to_stdout && isatty(STDOUT_FILENO)) Fail("refusing to write a tar stream to a terminal; redirect it, or give a directory");

  Analysis analysis = AnalyzeImage(options);
  ExportOptions export_options;
  export_options.layer = CheckLayer(analysis, options.layer);
  export_options.limits = options.limits.Resolve();

  std::unique_ptr<ExportSink> sink;
  if (to_stdout) {
    sink = std::make_unique<TarSink>(STDOUT_FILENO);
  } else {
    WriteOptions write;
    write.overwrite = options.overwrite;
    write.keep_setuid = options.keep_setuid;
    write.same_owner = geteuid() == 0 && !options.no_same_owner;
    sink = std::make_unique<SafeWriter>(options.target, write);
  }
  ExportImage(analysis, export_options, sink.get());

  if (!options.quiet) {
    fmt::print(stderr, "strata: wrote {} entries{}\n", sink->written(), to_stdout ? "" : " to " + options.target);
    for (const std::string& skipped : sink->skipped()) fmt::print(stderr, "strata: skipped {}\n", Printable(skipped));
  }
  return 0;
}

void AddCommon(CLI::App* sub, FileOptions* options) {
  sub->add_option("IMAGE", options->image, "Image (any spelling strata audit takes)")->required();
  sub->add_option("--platform", options->platform, "Platform to pick from a multi-platform index");
  sub->add_option("--layer", options->layer, "Layer number (1 is the base)")->check(CLI::Range(1, 1 << 30));
  sub->add_flag("-q,--quiet", options->quiet, "No progress display and no summary");
  AddLimitOptions(sub, &options->limits);
}

}  // namespace

void AddFileCommands(CLI::App* app, std::function<int()>* run) {
  static FileOptions options;

  CLI::App* ls = app->add_subcommand("ls", "List a directory of the image (as of --layer N), like ls");
  AddCommon(ls, &options);
  ls->add_option("PATH", options.path, "Directory or file (default /)");
  ls->add_flag("-l", options.long_format, "Long form: mode, owner, group, size, time, link target");
  ls->add_flag("-R", options.recursive, "Recursive");
  ls->add_flag("-a", options.all, "Show names that start with a dot");
  ls->callback([run] { *run = [] { return RunLs(options); }; });

  CLI::App* cat = app->add_subcommand("cat", "Write a file of the image (or as layer N stored it) to stdout");
  AddCommon(cat, &options);
  cat->add_option("PATH", options.path, "File in the image")->required();
  cat->callback([run] { *run = [] { return RunCat(options); }; });

  CLI::App* exp = app->add_subcommand("export", "Write the final filesystem, or one layer's changes, to a directory or as a tar stream");
  AddCommon(exp, &options);
  exp->add_option("DIR", options.target, "Target directory, or - for a tar stream on stdout")->required();
  exp->add_flag("--squash", options.squash, "The flattened final filesystem (the default)");
  exp->add_flag("--overwrite", options.overwrite, "Replace files that already exist in DIR");
  exp->add_flag("--keep-setuid", options.keep_setuid, "Keep setuid and setgid bits (dropped by default)");
  exp->add_flag("--no-same-owner", options.no_same_owner, "Do not set owners (set by default when run as root)");
  exp->callback([run] { *run = [] { return RunExport(options); }; });
}

}  // namespace strata
