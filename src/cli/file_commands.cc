#include "cli/file_commands.h"

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>
#include <optional>

#include "base/error.h"
#include "base/units.h"
#include "cli/cache_options.h"
#include "cli/limit_options.h"
#include "cli/progress.h"
#include "cli/source_options.h"
#include "cli/usage.h"
#include "extract/image_files.h"
#include "extract/safe_writer.h"
#include "extract/tar_sink.h"
#include "layer/keep_inspector.h"
#include "model/analysis.h"
#include "model/find_expression.h"
#include "model/image_diff.h"
#include "report/diff_report.h"
#include "report/json_report.h"
#include "report/listing.h"
#include "report/style.h"
#include "rules/evaluate.h"
#include "rules/shown_paths.h"
#include "source/image_source.h"

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
  SourceFlags source;
  CacheFlags cache;  // ls, cat and find; export reads every layer itself.
};

ImageSource Open(const FileOptions& options) {
  OpenOptions open;
  open.platform = options.platform;
  options.source.Apply(&open);
  open.max_image_bytes = options.limits.Resolve().max_image_bytes;
  return OpenImage(options.image, open);
}

// Keeps the image's user and group databases, for owner names.
const KeepInspector& IdDatabases() {
  static const KeepInspector inspector({"etc/passwd", "etc/group"});
  return inspector;
}

// |use_cache|: take layers from the layer cache (and add to it) unless
// the flags say otherwise.
Analysis AnalyzeImage(const FileOptions& options, bool use_cache) {
  ImageSource source = Open(options);
  std::atomic<int64_t> bytes_read{0};
  AnalyzeOptions analyze;
  analyze.bytes_read = &bytes_read;
  analyze.inspector = &IdDatabases();
  analyze.limits = options.limits.Resolve();
  std::unique_ptr<LayerCache> cache = use_cache ? options.cache.Open(options.quiet) : nullptr;
  analyze.cache = cache.get();
  Analysis analysis;
  {
    Progress progress(&bytes_read, KnownBlobBytes(source), !options.quiet);
    analysis = Analyze(std::move(source), analyze);
  }
  if (cache) ReportCache(*cache, false, options.quiet);
  return analysis;
}

int CheckLayer(const Analysis& analysis, int layer) {
  int count = static_cast<int>(analysis.layers.size());
  if (layer < 0 || layer > count)
    Fail("--layer {} is out of range: the image has {} (1 to {})", layer, Count(count, "layer"),
         count);
  return layer - 1;
}

void Write(const std::string& text) {
  fwrite(text.data(), 1, text.size(), stdout);
  if (fflush(stdout) != 0) Fail("cannot write to standard output");
}

// A path missing from the filesystem as of layer |through| (0-based) that
// a layer up to it removed is said as cat says it: where it went and
// which layer still stores it.
void FailIfRemoved(const Analysis& analysis, const std::string& asked, int through) {
  bool escaped = false;
  std::string path = CleanLayerPath(asked, &escaped);
  // Every dropped version, not only the waste: a file whose bytes another
  // name (a hard link) still holds was removed all the same.
  const DroppedFile* latest = nullptr;
  for (const DroppedFile& item : analysis.merge.dropped())
    if (item.removed && item.by_layer <= through && item.entry->path == path &&
        (latest == nullptr || item.layer > latest->layer))
      latest = &item;
  if (latest != nullptr) FailRemoved(path, latest->by_layer, latest->layer);
}

// Says which names spell a secret, for listings: the built-in patterns
// (ls and find read no configuration).
std::unique_ptr<ContentScanner> NameScanner() { return MakeContentScanner(RuleConfig()); }

int RunLs(const FileOptions& options) {
  Analysis analysis = AnalyzeImage(options, true);
  int layer = CheckLayer(analysis, options.layer);
  std::unique_ptr<ContentScanner> scanner = NameScanner();
  LsOptions ls{options.long_format, options.recursive, options.all,
               [&scanner](std::string_view name) { return scanner->RedactPath(name); }};
  std::map<uint32_t, std::string> users = ParseIdNames(KeptContent(analysis, "etc/passwd"));
  std::map<uint32_t, std::string> groups = ParseIdNames(KeptContent(analysis, "etc/group"));
  std::optional<LayerMerge> through;
  if (layer >= 0) through.emplace(MergeThrough(analysis, layer));
  const FileTree& tree = through ? through->tree() : analysis.merge.tree();
  try {
    Write(LsText(tree, options.path, ls, users, groups));
  } catch (const Error&) {
    FailIfRemoved(analysis, options.path,
                  layer >= 0 ? layer : static_cast<int>(analysis.layers.size()) - 1);
    throw;
  }
  return 0;
}

// Writes the file options.path names to standard output.
void CatFileAsked(const FileOptions& options) {
  auto write = [](const char* data, size_t size) {
    if (fwrite(data, 1, size, stdout) != size) Fail("cannot write to standard output");
  };
  // As the shell's cat: an empty name is no file (not the root), and
  // says so before the image is opened.
  if (options.path.empty()) Fail("cat needs a path in the image: the one given is empty");
  if (options.layer == 0) {
    // The final filesystem is the merged tree, as ls shows it: a link on
    // an entry's way may have put it elsewhere than the path it is stored
    // at, which no reading of the layers from the top can tell.
    Analysis analysis = AnalyzeImage(options, true);
    CatMerged(analysis, options.path, write, options.limits.Resolve());
  } else {
    // As one layer stores it: that layer alone (or those beneath it, for
    // a hard link) is read.
    ImageSource source = Open(options);
    int count = static_cast<int>(source.layers.size());
    if (options.layer < 0 || options.layer > count)
      Fail("--layer {} is out of range: the image has {} (1 to {})", options.layer,
           Count(count, "layer"), count);
    CatFile(source, options.path, options.layer - 1, write, options.limits.Resolve());
  }
}

int RunCat(const FileOptions& options) {
  // Its errors name where links lead, paths the user never typed; the
  // error line hides any that spells a token (ShownError in cli.cc).
  CatFileAsked(options);
  if (fflush(stdout) != 0) Fail("cannot write to standard output");
  return 0;
}

// Refuses a target directory that is the OCI layout being read or lies
// inside it: the export would change the image while reading it (its
// index.json is a file like any other). Returns where the layout lies
// beneath the target, as an image path, when the target holds it: the
// writer refuses to write there (see WriteOptions::image_inside).
std::string CheckExportTarget(const FileOptions& options) {
  namespace fs = std::filesystem;
  std::string layout = ImageDirectory(options.image);
  if (layout.empty()) return "";
  std::error_code error;
  fs::path image = fs::weakly_canonical(layout, error);
  fs::path target = fs::weakly_canonical(options.target, error);
  if (error) return "";
  if (target == image || InsideImageDirectory(options.target, layout))
    Fail("refusing to export inside the image being read ({})", options.target);
  std::string beneath = image.lexically_relative(target).string();
  if (beneath.empty() || beneath == "." || beneath.starts_with("..")) return "";
  return beneath;
}

int RunExport(const FileOptions& options) {
  if (options.squash && options.layer != 0)
    FailUsage("--squash and --layer cannot be used together");
  if (options.target.empty())
    FailUsage(
        "export needs a target: the directory name is empty (give a directory, or - for a tar "
        "stream on standard output)");
  bool to_stdout = options.target == "-";
  if (to_stdout && isatty(STDOUT_FILENO))
    Fail("refusing to write a tar stream to a terminal; redirect it, or give a directory");
  std::string image_inside = to_stdout ? "" : CheckExportTarget(options);

  // Export reads the layers again for their contents: the tree it writes
  // comes from the same bytes, never from the cache.
  Analysis analysis = AnalyzeImage(options, false);
  ExportOptions export_options;
  export_options.layer = CheckLayer(analysis, options.layer);
  export_options.limits = options.limits.Resolve();

  std::unique_ptr<ExportSink> sink;
  if (to_stdout) {
    sink = std::make_unique<TarSink>(STDOUT_FILENO);
  } else {
    WriteOptions write;
    write.overwrite = options.overwrite;
    write.image_inside = image_inside;
    write.keep_setuid = options.keep_setuid;
    write.shown = [scanner = std::shared_ptr<ContentScanner>(NameScanner())](
                      std::string_view name) { return scanner->RedactPath(name); };
    write.same_owner = geteuid() == 0 && !options.no_same_owner;
    sink = std::make_unique<SafeWriter>(options.target, write);
  }
  ExportImage(analysis, export_options, sink.get());

  if (!options.quiet) {
    // The files themselves are written by their names; the messages show
    // a name that spells a token redacted, as every listing does, and so
    // the target's, as every other line naming an input or output does.
    std::unique_ptr<ContentScanner> scanner = NameScanner();
    fmt::print(stderr, "strata: wrote {}{}\n", Count(sink->written(), "entry", "entries"),
               to_stdout ? ""
                         : " to " + Printable(RedactPathsInText(*scanner, options.target,
                                                                /*bare_names=*/true)));
    for (const std::string& skipped : sink->skipped())
      fmt::print(stderr, "strata: skipped {}\n", Printable(RedactPathsInText(*scanner, skipped)));
  }
  return 0;
}

// find's own options, the ones before IMAGE. find parses its arguments
// itself (RunFind), since the tests after IMAGE look like options (-name,
// -type) and must reach the find parser untouched; --help lists these.
void AddFindOptions(CLI::App* app, FileOptions* options, bool* removed, bool* print0) {
  app->add_option("--layer", options->layer, "Only what layer N stored (1 is the base)")
      ->check(WholeNumberValidator(1, kMaxLayer));
  app->add_flag("--removed", *removed,
                "The files a later layer removed but an earlier one still stores");
  app->add_flag("--print0", *print0, "Separate paths with NUL bytes");
  app->add_option("--platform", options->platform,
                  "Platform to pick from a multi-platform index, os/arch[/variant]")
      ->check(PlatformValidator());
  app->add_flag("-q,--quiet", options->quiet, "No progress display");
  AddSourceOptions(app, &options->source, true);
  AddCacheOptions(app, &options->cache);
  AddLimitOptions(app, &options->limits);
}

// The message for |tests|[at], which names no test, when it is an option:
// find's own given after IMAGE, where every word is the path or a test
// (CLI11 stops reading options at IMAGE), or a word with two dashes, which
// no test has. Else |message|, the parser's.
std::string ExplainUnknownTest(const CLI::App& parser, const std::vector<std::string>& tests,
                               size_t at, const std::string& message) {
  const std::string& word = tests[at];
  size_t equals = word.find('=');
  std::string name = word.substr(0, equals);
  const CLI::Option* option = parser.get_option_no_throw(name);
  if (option != nullptr && option == parser.get_help_ptr())
    return fmt::format("unknown test '{}': for help, run strata find --help", word);
  if (option != nullptr) {
    std::string usage = word;
    if (equals == std::string::npos && option->get_items_expected_max() > 0) {
      bool has_value = at + 1 < tests.size() && !tests[at + 1].starts_with("-");
      usage += " " + (has_value ? tests[at + 1] : std::string("X"));
    }
    return fmt::format(
        "unknown test '{}': find's options go before IMAGE (strata find {} IMAGE ...)", word,
        usage);
  }
  if (!name.starts_with("--")) return message;
  std::string nearest = NearestLongOption(parser, name);
  return fmt::format(
      "unknown test '{}': strata find has no option {}{}; its options go before IMAGE (see "
      "strata find --help)",
      word, name, nearest.empty() ? "" : " (did you mean " + nearest + "?)");
}

}  // namespace

int RunFind(const std::vector<std::string>& args) {
  FileOptions options;
  bool removed = false, print0 = false;

  // CLI11 takes the options up to the first word it does not know, IMAGE,
  // and leaves the rest (prefix_command); it wants them in reverse order.
  CLI::App parser{"", "strata find"};
  parser.prefix_command();
  parser.set_version_flag("--version", kVersionText);
  AddFindOptions(&parser, &options, &removed, &print0);
  std::vector<std::string> words = SplitEmptyValues(parser, args, true);
  std::vector<std::string> reversed(words.rbegin(), words.rend());
  try {
    parser.parse(reversed);
  } catch (const CLI::CallForVersion& version) {
    fmt::print("{}\n", version.what());
    return 0;
  } catch (const CLI::ParseError& error) {
    Fail("find: {} (see strata find --help)", error.what());
  }
  std::vector<std::string> rest = parser.remaining();
  // "--" ends find's options, as it ends any command's: IMAGE follows,
  // however it is spelled.
  bool options_ended = !rest.empty() && rest[0] == "--";
  if (options_ended) rest.erase(rest.begin());
  if (rest.empty()) Fail("find needs an IMAGE (see strata find --help)");
  // Never take a mistyped option for an image name (it would be looked
  // up in the Docker daemon).
  if (!options_ended && rest[0].starts_with("-") && rest[0] != "-")
    Fail("{}", UnknownOptionsMessage(parser, "strata find", {rest[0]}));

  size_t at = 0;
  options.image = rest[at++];
  std::string start = "/";
  if (at < rest.size() && !rest[at].starts_with("-") && rest[at] != "(" && rest[at] != "!")
    start = rest[at++];
  std::vector<std::string> tests(rest.begin() + static_cast<long>(at), rest.end());
  auto print0_action = std::find(tests.begin(), tests.end(), "-print0");
  if (print0_action != tests.end()) {
    print0 = true;
    tests.erase(print0_action);
  }
  FindExpression expression;
  try {
    expression = ParseFindExpression(tests);
  } catch (const UnknownTestError& error) {
    throw Error(ExplainUnknownTest(parser, tests, error.position(), error.what()));
  }

  Analysis analysis = AnalyzeImage(options, true);
  int layer = CheckLayer(analysis, options.layer);
  FindContext context;
  context.now = time(nullptr);
  context.user_names = ParseIdNames(KeptContent(analysis, "etc/passwd"));
  context.group_names = ParseIdNames(KeptContent(analysis, "etc/group"));

  // The tree to search: the final one; as of --layer N, only what that
  // layer stored; with --removed, the stored files no longer there.
  FileTree selection;
  const FileTree* tree = &analysis.merge.tree();
  auto add = [&selection](const LayerEntry* entry, int from) {
    FileNode* node = selection.Ensure(entry->path, [](FileNode*) {});
    node->entry = entry;
    node->content = entry->kind == EntryKind::kFile ? entry : nullptr;
    node->layer = from;
  };
  if (removed) {
    for (const WasteItem& item : analysis.waste)
      if (item.removed && (layer < 0 || item.layer == layer)) add(item.entry, item.layer);
    tree = &selection;
  } else if (layer >= 0) {
    for (const LayerEntry& entry : analysis.layers[layer].contents.entries)
      if (!entry.is_whiteout() && !entry.path.empty()) add(&entry, layer);
    tree = &selection;
  }
  context.mtime_of = MtimeLookup(analysis.merge.tree());

  std::vector<FindEntry> found = RunFind(*tree, start, expression, context);
  std::vector<std::string_view> paths;
  paths.reserve(found.size());
  for (const FindEntry& entry : found)
    // A selection's implied parent directories are not part of it.
    if (tree != &selection || entry.node->entry != nullptr) paths.push_back(entry.path);

  // A name that spells a secret is shown redacted, -print0 too: no output
  // shows a secret in full.
  std::map<size_t, std::string> redacted;
  ForEachRedacted(*NameScanner(), paths,
                  [&redacted](size_t i, std::string path) { redacted[i] = std::move(path); });
  std::string out;
  for (size_t i = 0; i < paths.size(); ++i) {
    auto shown = redacted.find(i);
    std::string path = shown != redacted.end() ? shown->second : std::string(paths[i]);
    out += print0 ? path : Printable(path);
    out += print0 ? '\0' : '\n';
  }
  Write(out);
  return 0;
}

namespace {

struct DiffOptions {
  std::string image_a, image_b, format = "table", platform;
  std::string config;  // --config FILE; "" looks for ./.strata.yaml.
  int top = 10;
  bool quiet = false;
  SourceFlags source;  // --ca-file and --insecure, for both images.
  CacheFlags cache;
  LimitFlags limits;  // For both images.
};

int RunDiff(const DiffOptions& options) {
  CheckFormat("diff", options.format, {"table", "json"});
  CheckOneReadOfStandardInput(options.image_a, options.image_b, "IMAGE_A and IMAGE_B");
  RuleConfig config = LoadRuleConfig(options.config);
  std::unique_ptr<ContentScanner> scanner = MakeContentScanner(config);
  std::unique_ptr<LayerCache> cache = options.cache.Open(options.quiet);
  ReadLimits limits = options.limits.Resolve();
  auto load = [&](const std::string& image, Analysis* analysis, RuleResults* rules) {
    OpenOptions open;
    open.platform = options.platform;
    open.max_image_bytes = limits.max_image_bytes;
    options.source.Apply(&open, false);
    ImageSource source = OpenImage(image, open);
    std::atomic<int64_t> bytes_read{0};
    AnalyzeOptions analyze;
    analyze.bytes_read = &bytes_read;
    analyze.inspector = scanner.get();
    analyze.cache = cache.get();
    analyze.limits = limits;
    {
      Progress progress(&bytes_read, KnownBlobBytes(source), !options.quiet);
      *analysis = Analyze(std::move(source), analyze);
    }
    *rules = EvaluateRules(*analysis, config, *scanner, TodayUtc());
    RedactImageConfig(*scanner, analysis, rules);
  };
  Analysis a, b;
  RuleResults rules_a, rules_b;
  load(options.image_a, &a, &rules_a);
  load(options.image_b, &b, &rules_b);
  if (cache) ReportCache(*cache, false, options.quiet);
  ImageDiff diff = DiffImages(a, b, &rules_a, &rules_b);
  RedactDiffPaths(*scanner, &diff);
  if (options.format == "json") {
    Write(DumpJson(DiffJson(diff)));
  } else {
    DiffTextOptions text;
    text.top = options.top;
    Write(DiffText(diff, StyleFor(STDOUT_FILENO), text));
  }
  return 0;
}

void AddCommon(CLI::App* sub, FileOptions* options) {
  sub->add_option("IMAGE", options->image, "Image (any spelling strata audit takes)")->required();
  sub->add_option("--platform", options->platform,
                  "Platform to pick from a multi-platform index, os/arch[/variant]")
      ->check(PlatformValidator());
  sub->add_option("--layer", options->layer, "Layer number (1 is the base)")
      ->check(WholeNumberValidator(1, kMaxLayer));
  sub->add_flag("-q,--quiet", options->quiet, "No progress display and no summary");
  AddLimitOptions(sub, &options->limits);
  AddSourceOptions(sub, &options->source);
}

}  // namespace

void AddFileCommands(CLI::App* app, std::function<int()>* run) {
  static FileOptions options;
  static DiffOptions diff_options;

  CLI::App* diff = app->add_subcommand(
      "diff", "What changed between two images: layers, files, sizes, findings");
  diff->add_option("IMAGE_A", diff_options.image_a, "The image before")->required();
  diff->add_option("IMAGE_B", diff_options.image_b, "The image after")->required();
  diff->add_option("--format", diff_options.format, "Output format: table or json");
  diff->add_option("--top", diff_options.top, "Rows per list in the table")
      ->check(WholeNumberValidator(1, 1000000));
  diff->add_option("--platform", diff_options.platform,
                   "Platform to pick from multi-platform indexes, os/arch[/variant]")
      ->check(PlatformValidator());
  diff->add_flag("-q,--quiet", diff_options.quiet, "No progress display");
  diff->add_option("--config", diff_options.config,
                   "Configuration, for both images' findings (default: ./.strata.yaml when "
                   "present)")
      ->check(NotEmptyValidator("a file name"));
  AddSourceOptions(diff, &diff_options.source, false);
  AddCacheOptions(diff, &diff_options.cache);
  AddLimitOptions(diff, &diff_options.limits);
  diff->callback([run] { *run = [] { return RunDiff(diff_options); }; });

  // find parses its own arguments (see RunFind); this entry is for --help.
  static FileOptions find_options;
  static bool removed = false, print0 = false;
  CLI::App* find = app->add_subcommand(
      "find",
      "Find files in the image like find(1): strata find [OPTIONS] IMAGE [PATH] [-name …] "
      "[-type …] …");
  find->allow_extras()->prefix_command();
  AddFindOptions(find, &find_options, &removed, &print0);

  CLI::App* ls =
      app->add_subcommand("ls", "List a directory of the image (as of --layer N), like ls");
  AddCommon(ls, &options);
  ls->add_option("PATH", options.path, "Directory or file (default /)");
  ls->add_flag("-l", options.long_format, "Long form: mode, owner, group, size, time, link target");
  ls->add_flag("-R", options.recursive, "Recursive");
  ls->add_flag("-a", options.all, "Show names that start with a dot");
  AddCacheOptions(ls, &options.cache);
  ls->callback([run] { *run = [] { return RunLs(options); }; });

  CLI::App* cat =
      app->add_subcommand("cat", "Write a file of the image (or as layer N stored it) to stdout");
  AddCommon(cat, &options);
  cat->add_option("PATH", options.path, "File in the image")->required();
  AddCacheOptions(cat, &options.cache);
  cat->callback([run] { *run = [] { return RunCat(options); }; });

  CLI::App* exp = app->add_subcommand(
      "export",
      "Write the final filesystem, or one layer's changes, to a directory or as a tar stream");
  AddCommon(exp, &options);
  exp->add_option("DIR", options.target, "Target directory, or - for a tar stream on stdout")
      ->required();
  exp->add_flag("--squash", options.squash, "The flattened final filesystem (the default)");
  exp->add_flag("--overwrite", options.overwrite, "Replace files that already exist in DIR");
  exp->add_flag("--keep-setuid", options.keep_setuid,
                "Keep setuid and setgid bits in DIR (dropped by default; a tar stream keeps "
                "every mode as stored)");
  exp->add_flag("--no-same-owner", options.no_same_owner,
                "Do not set owners (set by default when run as root)");
  exp->callback([run] { *run = [] { return RunExport(options); }; });
}

}  // namespace strata
