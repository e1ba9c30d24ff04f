#include "cli/cli.h"

#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/edit_distance.h"
#include "base/error.h"
#include "base/notice.h"
#include "base/units.h"
#include "cli/cache_options.h"
#include "cli/file_commands.h"
#include "cli/limit_options.h"
#include "cli/progress.h"
#include "cli/report_files.h"
#include "cli/result_memo.h"
#include "cli/source_options.h"
#include "cli/usage.h"
#include "model/analysis.h"
#include "model/image_config.h"
#include "policy/policy.h"
#include "report/ci_reports.h"
#include "report/json_report.h"
#include "report/style.h"
#include "report/text_report.h"
#include "rules/evaluate.h"
#include "rules/rule_config.h"
#include "rules/shown_paths.h"
#include "tui/explore_command.h"

namespace strata {

namespace {

// Options shared by the subcommands; each uses the ones it registers.
struct Options {
  std::string image;
  std::vector<std::string> formats;  // "table", "json", "sarif=out.sarif", …
  std::string output;                // -o FILE: where the format without "=FILE" goes.
  std::string platform;
  int threads = 0;
  int top = 10;
  int layer = 0;  // 1-based on the command line; 0 = all.
  bool all = false;
  bool quiet = false;
  bool verbose = false;
  std::string config;  // --config FILE; "" looks for ./.strata.yaml.
  std::string base;    // --base IMAGE: the base image, to tell its layers apart.
  bool no_rules = false;
  bool read_layers = false;  // history --read-layers: content sizes, digests checked.
  bool ci = false;
  std::string dive_ci;
  PolicyFlags policy;
  LimitFlags limits;
  SourceFlags source;  // --save, --ca-file, --insecure.
  CacheFlags cache;
  std::vector<std::string> args;  // The command line after "strata", for the result cache.
};

// What a command works on: the analysed image and, for commands that
// evaluate rules, the findings and, under ci or audit --ci, the policy
// verdict.
struct Loaded {
  RuleConfig config;
  std::unique_ptr<ContentScanner> scanner;
  Analysis analysis;
  std::optional<RuleResults> rules;
  std::optional<Policy> policy;
  std::optional<Verdict> verdict;
};

using Renderer = std::function<std::string(const Loaded&, const Options&)>;

struct Command {
  const char* name;
  const char* description;
  std::function<std::string(const Loaded&, const Options&, const std::string& format)> render;
  std::vector<std::string> formats;
  bool has_layer_option;
  bool evaluates_rules;
};

// Checks a policy flag's value as it is parsed, so that a bad one is a
// usage error like any other option's (naming the command's help), said
// before any file is read.
CLI::Validator PolicyValidator(const std::string& flag) {
  return CLI::Validator([flag](const std::string& text) { return PolicyFlagProblem(flag, text); },
                        "");
}

void Warn(const std::string& message) {
  fmt::print(stderr, "strata: warning: {}\n", Printable(message));
}

// The diff_ids of the image named by --base; only its config is read.
std::vector<std::string> BaseDiffIds(const Options& options) {
  OpenOptions open;
  open.platform = options.platform;
  options.source.Apply(&open, false);
  open.max_image_bytes = options.limits.Resolve().max_image_bytes;
  ImageSource base = OpenImage(options.base, open);
  return ParseImageConfig(base.config_json, "the config of the base image " + options.base)
      .diff_ids;
}

// What a command reads before any image: the configuration, the policy,
// the --base image's diff_ids.
void LoadSettings(const Options& options, bool evaluates_rules, Loaded* loaded) {
  // Every command reads the configuration: its custom content rules hide
  // their matches in the build steps history and layers print, too.
  loaded->config = LoadRuleConfig(options.config);
  if (!evaluates_rules) return;
  loaded->policy = LoadPolicy(options.config, options.dive_ci, options.policy);
  if (options.base.empty()) return;
  CheckOneReadOfStandardInput(options.base, options.image, "--base and IMAGE");
  loaded->config.base_diff_ids = BaseDiffIds(options);
  loaded->config.base_image = options.base;
}

ImageSource OpenSource(const Options& options) {
  OpenOptions open;
  open.platform = options.platform;
  options.source.Apply(&open);
  open.max_image_bytes = options.limits.Resolve().max_image_bytes;
  return OpenImage(options.image, open);
}

// Reads and merges the layers of |source| (those |cache| lacks), then
// evaluates the rules and, with --ci, the policy.
void Load(const Options& options, bool evaluates_rules, bool config_only, ImageSource source,
          LayerCache* cache, Loaded* loaded) {
  bool scans = evaluates_rules && !options.no_rules;
  // Every command gets a scanner: history and layers print build steps,
  // and secrets in them are redacted too.
  CompiledPatternStore compiled;
  if (cache != nullptr) {
    compiled.find = [cache](const std::string& key) { return cache->FindCompiled(key); };
    compiled.store = [cache](const std::string& key, const std::string& bytes) {
      cache->StoreCompiled(key, bytes);
    };
  }
  loaded->scanner = MakeContentScanner(loaded->config, compiled);

  std::atomic<int64_t> bytes_read{0};
  AnalyzeOptions analyze;
  analyze.threads = options.threads;
  analyze.bytes_read = &bytes_read;
  analyze.inspector = scans ? loaded->scanner.get() : nullptr;
  analyze.limits = options.limits.Resolve();
  // history needs the config only, unless sizes of contents were asked for.
  analyze.config_only = config_only;
  analyze.cache = cache;
  {
    Progress progress(&bytes_read, KnownBlobBytes(source), !options.quiet);
    loaded->analysis = Analyze(std::move(source), analyze);
  }
  for (const std::string& rule : options.policy.skip) {
    bool known = false;
    for (const RuleInfo& info : AllRules(loaded->config)) known |= info.id == rule;
    if (evaluates_rules && !known)
      Fail("--skip names an unknown rule \"{}\" (see strata rules)", rule);
  }
  if (scans) {
    loaded->rules = EvaluateRules(loaded->analysis, loaded->config, *loaded->scanner, TodayUtc());
    // With the image's own warnings: on standard error and in the reports.
    for (const std::string& warning : loaded->rules->warnings)
      loaded->analysis.warnings.push_back(warning);
  } else if (evaluates_rules) {
    loaded->rules = RuleResults();  // --no-rules: the thresholds still apply.
    loaded->rules->evaluated = false;
  }
  // A plain audit evaluates no policy: every report shows its findings,
  // none a verdict, and it exits 0 (doc/ci.md).
  if (evaluates_rules && options.ci) {
    loaded->verdict = EvaluatePolicy(loaded->analysis, *loaded->rules, *loaded->policy);
    for (const std::string& warning : loaded->policy->warnings)
      loaded->analysis.warnings.push_back(warning);
  } else if (evaluates_rules) {
    const PolicyFlags& flags = options.policy;
    if (!flags.lowest_efficiency.empty() || !flags.highest_wasted_bytes.empty() ||
        !flags.highest_user_wasted_percent.empty() || !flags.fail_on.empty() ||
        !flags.skip.empty())
      loaded->analysis.warnings.push_back(
          "the policy's flags (--fail-on, --lowest-efficiency, …) apply only with --ci or "
          "strata ci: this audit evaluates no policy and exits 0");
  }
  RedactImageConfig(*loaded->scanner, &loaded->analysis, loaded->rules ? &*loaded->rules : nullptr);
  RedactWastePaths(*loaded->scanner, &loaded->analysis);
  RedactWarnings(*loaded->scanner, &loaded->analysis.warnings);
}

// The result cache's key for this command, or "" when its result is not
// kept: only audit and ci keep theirs, never with --save (which must
// write its file), --no-cache or --no-result-cache.
std::string MemoKeyFor(const Command& command, const Options& options, const Loaded& loaded,
                       const ImageSource& source, const LayerCache* cache) {
  if (cache == nullptr || !command.evaluates_rules || options.cache.no_results ||
      !options.source.save.empty())
    return "";
  MemoInputs inputs;
  inputs.args = options.args;
  inputs.source = &source;
  // Every file the configuration and policy loaders may read.
  inputs.files = {options.config.empty() ? ".strata.yaml" : options.config,
                  options.dive_ci.empty() ? ".dive-ci" : options.dive_ci};
  inputs.base_diff_ids = loaded.config.base_diff_ids;
  inputs.today = TodayUtc();
  return ResultKey(inputs);
}

int CheckLayerIndex(const Analysis& analysis, const Options& options) {
  if (options.layer == 0) return -1;
  int count = static_cast<int>(analysis.layers.size());
  if (options.layer < 1 || options.layer > count)
    Fail("--layer {} is out of range: the image has {} (1 to {})", options.layer,
         Count(count, "layer"), count);
  return options.layer - 1;
}

std::string RenderAudit(const Loaded& loaded, const Options& options, const std::string& format) {
  const RuleResults* rules = loaded.rules && !options.no_rules ? &*loaded.rules : nullptr;
  if (format == "json") {
    nlohmann::json report = AuditJson(loaded.analysis, rules);
    if (loaded.verdict) report["policy"] = VerdictJson(*loaded.policy, *loaded.verdict);
    return DumpJson(report);
  }
  if (format == "table") {
    TextOptions text;
    text.top = options.top;
    Style style = StyleFor(options.output.empty() ? STDOUT_FILENO : -1);
    std::string out = AuditText(loaded.analysis, rules, style, text);
    if (loaded.verdict) out += VerdictText(*loaded.policy, *loaded.verdict, style);
    return out;
  }

  CiReportInput input{loaded.analysis, *loaded.rules, loaded.config};
  if (loaded.verdict) {
    input.policy = &*loaded.policy;
    input.verdict = &*loaded.verdict;
  }
  if (format == "sarif") return SarifReport(input);
  if (format == "junit") return JunitReport(input);
  return MarkdownReport(input);
}

std::string RenderHistory(const Loaded& loaded, const Options&, const std::string& format) {
  if (format == "json") return DumpJson(HistoryJson(loaded.analysis));
  return HistoryText(loaded.analysis, StyleFor(STDOUT_FILENO));
}

std::string RenderLayers(const Loaded& loaded, const Options& options, const std::string& format) {
  const Analysis& analysis = loaded.analysis;
  int only = CheckLayerIndex(analysis, options);
  if (format == "json") return DumpJson(LayersJson(analysis, only));
  return LayersText(analysis, only, options.all ? 0 : options.top, StyleFor(STDOUT_FILENO));
}

const std::vector<Command>& Commands() {
  static const std::vector<Command> commands = {
      {"audit",
       "Summarise an image: layers, build steps, sizes, waste, and what should not be in it",
       RenderAudit,
       {"table", "json", "sarif", "junit", "markdown"},
       false,
       true},
      {"ci",
       "The same as audit --ci: evaluate the policy, exit 1 when it fails",
       RenderAudit,
       {"table", "json", "sarif", "junit", "markdown"},
       false,
       true},
      {"history",
       "Show the build steps and the layer each made (docker history --no-trunc, no daemon)",
       RenderHistory,
       {"table", "json"},
       false,
       false},
      {"layers",
       "Show what each layer added, modified and removed, largest first",
       RenderLayers,
       {"table", "json"},
       true,
       false},
  };
  return commands;
}

void AddImageOptions(CLI::App* app, Options* options, const Command& command) {
  app->add_option("IMAGE", options->image,
                  "Image: a path (docker save archive, OCI layout or archive), '-' for stdin, "
                  "docker-archive:PATH[:REF], oci:DIR[:REF], oci-archive:PATH[:REF], "
                  "NAME[:TAG] or docker-daemon:NAME[:TAG] (the Docker daemon), "
                  "podman:NAME[:TAG], docker://HOST/REPO[:TAG|@DIGEST] (a registry)")
      ->required();
  std::string names;
  for (const std::string& f : command.formats) names += (names.empty() ? "" : ", ") + f;
  app->add_option(
         "--format", options->formats,
         "Output format: " + names + "; FORMAT=FILE writes that format to FILE (repeatable)")
      // One value a flag: CLI11 would let a list take the image that follows.
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app->add_option("-o,--output", options->output,
                  "Write the report to FILE instead of standard output ('-' is standard output)")
      ->check(CLI::Validator(
          [](std::string& file) {
            return file.empty() ? std::string("-o needs a file name ('-' is standard output)")
                                : std::string();
          },
          ""));
  app->add_option(
         "--platform", options->platform,
         "Platform to pick from a multi-platform index, os/arch[/variant] (default: this host's)")
      ->check(PlatformValidator());
  app->add_option(
         "--threads", options->threads,
         "Layers read at once; 1 also reads each layer on one thread (default: one per core)")
      ->check(WholeNumberValidator(1, kMaxThreads));
  app->add_option("--top", options->top, "Rows in each list of the table output")
      ->check(WholeNumberValidator(1, 1000000));
  CLI::Option* quiet =
      app->add_flag("-q,--quiet", options->quiet, "No progress display and no warnings");
  // Saying less and saying more at once has no meaning; refused, as
  // --no-cache with --cache-dir is, rather than letting one win.
  app->add_flag("-v,--verbose", options->verbose, "Say more about what is read")->excludes(quiet);
  AddLimitOptions(app, &options->limits);
  AddSourceOptions(app, &options->source);
  AddCacheOptions(app, &options->cache);
  if (!command.evaluates_rules)
    app->add_option("--config", options->config,
                    "Configuration, for its custom content rules, which hide what they match in "
                    "build steps (default: ./.strata.yaml when present)")
        ->check(NotEmptyValidator("a file name"));
  if (command.evaluates_rules) {
    AddResultCacheOption(app, &options->cache);
    app->add_option("--config", options->config,
                    "Configuration (default: ./.strata.yaml when present)")
        ->check(NotEmptyValidator("a file name"));
    app->add_option("--base", options->base,
                    "The base image (any IMAGE spelling), to tell its layers apart")
        ->check(NotEmptyValidator("an image"));
    app->add_flag("--no-rules", options->no_rules,
                  "Only sizes and waste: no findings, no content scan");
    if (std::string(command.name) == "audit")
      app->add_flag("--ci", options->ci,
                    "Evaluate the policy; exit 1 when it fails (see doc/ci.md)");
    app->add_option("--dive-ci", options->dive_ci, "Read this dive .dive-ci file as the policy")
        ->check(NotEmptyValidator("a file name"));
    app->add_option("--lowest-efficiency", options->policy.lowest_efficiency,
                    "Policy: fail below this efficiency (0-1)")
        ->check(NotEmptyValidator("a fraction from 0 to 1"))
        ->check(PolicyValidator("--lowest-efficiency"));
    app->add_option("--highest-wasted-bytes", options->policy.highest_wasted_bytes,
                    "Policy: fail above this many wasted bytes (like 20MB, or disabled)")
        ->check(NotEmptyValidator("a size"))
        ->check(PolicyValidator("--highest-wasted-bytes"));
    app->add_option("--highest-user-wasted-percent", options->policy.highest_user_wasted_percent,
                    "Policy: fail above this fraction of wasted user bytes (0-1)")
        ->check(NotEmptyValidator("a fraction from 0 to 1"))
        ->check(PolicyValidator("--highest-user-wasted-percent"));
    app->add_option("--fail-on", options->policy.fail_on,
                    "Policy: fail on findings of this severity or above (info … critical, or none)")
        ->check(NotEmptyValidator("a severity"))
        ->check(PolicyValidator("--fail-on"));
    app->add_option("--skip", options->policy.skip,
                    "Policy: findings of this rule never fail the build (repeatable)")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  }
  if (std::string(command.name) == "history")
    app->add_flag("--read-layers", options->read_layers,
                  "Read every layer: content sizes instead of stored sizes, and digests checked");
  if (command.has_layer_option) {
    app->add_option("--layer", options->layer, "Only this layer (1 is the base)")
        ->check(WholeNumberValidator(1, kMaxLayer));
    app->add_flag("--all", options->all, "List every change, not only the largest");
  }
}

// Whether |file| names what standard output is already (/dev/stdout,
// /dev/fd/1, the file stdout is redirected to): a report written there
// mixes with, or replaces, the one printed. /dev/null and the like take
// any number of reports.
bool IsStandardOutput(const std::string& file) {
  struct stat target, out;
  if (stat(file.c_str(), &target) != 0 || fstat(STDOUT_FILENO, &out) != 0) return false;
  if (target.st_dev != out.st_dev || target.st_ino != out.st_ino) return false;
  return !S_ISCHR(out.st_mode) || isatty(STDOUT_FILENO);
}

// "json" → {json, ""}; "sarif=out.sarif" → {sarif, out.sarif}. Checks the
// names against what |command| offers, and that one report at most goes to
// standard output.
std::vector<std::pair<std::string, std::string>> Outputs(const Command& command,
                                                         const Options& options) {
  std::vector<std::pair<std::string, std::string>> outputs;
  std::vector<std::string> specs =
      options.formats.empty() ? std::vector<std::string>{"table"} : options.formats;
  int to_stdout = 0;
  std::string stdout_named;
  for (const std::string& spec : specs) {
    size_t equals = spec.find('=');
    std::string name = spec.substr(0, equals);
    std::string file = equals == std::string::npos ? options.output : spec.substr(equals + 1);
    if (file == "-") file.clear();  // "-" is standard output.
    CheckFormat(command.name, name, command.formats);
    if (equals != std::string::npos && spec.substr(equals + 1).empty())
      FailUsage("--format {}= needs a file name", name);
    if (file.empty()) {
      ++to_stdout;
    } else if (IsStandardOutput(file)) {
      ++to_stdout;
      stdout_named = " (" + file + " is standard output)";
    }
    outputs.emplace_back(name, file);
  }
  if (to_stdout > 1)
    FailUsage("only one report can go to standard output{}; give the others as FORMAT=FILE",
              stdout_named);
  if (!options.output.empty() && options.output != "-" &&
      std::none_of(specs.begin(), specs.end(),
                   [](const std::string& spec) { return spec.find('=') == std::string::npos; }))
    FailUsage("-o {} has no report to take: every --format names its own file", options.output);
  for (size_t i = 0; i < outputs.size(); ++i)
    for (size_t j = i + 1; j < outputs.size(); ++j)
      if (!outputs[i].second.empty() && SameReportFile(outputs[i].second, outputs[j].second))
        FailUsage("the {} and {} reports would both be written to {}{}", outputs[i].first,
                  outputs[j].first, outputs[i].second,
                  outputs[i].second == outputs[j].second ? "" : " (as " + outputs[j].second + ")");

  // Never write a report over the image being read, nor into a layout
  // directory being read (its index.json is a file like any other),
  // however the image is spelled (docker-archive:x.tar:app is x.tar).
  std::string image = ImageFile(options.image);
  struct stat input;
  if (!image.empty() && stat(image.c_str(), &input) == 0) {
    for (const auto& [name, file] : outputs) {
      struct stat output;
      if (!file.empty() && stat(file.c_str(), &output) == 0 && output.st_dev == input.st_dev &&
          output.st_ino == input.st_ino)
        Fail("refusing to write the {} report over the image itself ({})", name, file);
      if (!file.empty() && InsideImageDirectory(file, image))
        Fail("refusing to write the {} report inside the image being read ({})", name, file);
    }
  }
  return outputs;
}

// The pseudo-format of ci's one-line verdict (see RunCommand).
constexpr const char* kVerdictLine = "verdict line";

// "Result: FAIL: …; reports in r.sarif, r.json".
std::string VerdictLineFor(const Loaded& loaded,
                           const std::vector<std::pair<std::string, std::string>>& outputs) {
  std::string files;
  for (const auto& [format, file] : outputs)
    if (!file.empty()) files += (files.empty() ? "" : ", ") + file;
  std::string line = loaded.verdict ? VerdictLine(*loaded.verdict) : "Result: no policy";
  return Printable(line + "; reports in " + files) + "\n";
}

// All or none of the reports (see report_files.h): a report that cannot
// be written leaves no other one half done or written beside it.
void WriteReports(const std::vector<std::pair<std::string, std::string>>& outputs,
                  const std::vector<std::string>& texts, const std::vector<std::string>& warnings,
                  const Options& options) {
  if (!options.quiet)
    for (const std::string& warning : warnings) Warn(warning);
  std::vector<ReportOutput> reports;
  for (size_t i = 0; i < outputs.size(); ++i) reports.push_back({outputs[i].second, texts[i]});
  WriteReportFiles(reports);
}

int RunCommand(const Command& command, Options options) {
  if (std::string(command.name) == "ci") options.ci = true;
  std::vector<std::pair<std::string, std::string>> outputs = Outputs(command, options);
  // ci whose reports all go to files says its verdict on standard output,
  // which a CI log shows: else the log holds nothing but the exit code.
  bool reports_to_stdout =
      std::any_of(outputs.begin(), outputs.end(), [](const auto& output) {
        return output.second.empty() || IsStandardOutput(output.second);
      });
  if (options.ci && !options.quiet && !reports_to_stdout) outputs.emplace_back(kVerdictLine, "");
  bool config_only = std::string(command.name) == "history" && !options.read_layers;

  Loaded loaded;
  LoadSettings(options, command.evaluates_rules, &loaded);
  ImageSource source = OpenSource(options);
  std::unique_ptr<LayerCache> cache = config_only ? nullptr : options.cache.Open(options.quiet);

  std::string memo_key = MemoKeyFor(command, options, loaded, source, cache.get());
  std::optional<MemoResult> memo;
  if (!memo_key.empty())
    if (std::optional<std::string> bytes = cache->FindImageResult(memo_key))
      memo = DecodeMemo(*bytes, outputs.size());
  if (memo) {
    if (options.verbose)
      fmt::print(stderr,
                 "strata: {} ({}) from {}: the result of the same command on this image, from "
                 "the cache {}; no layer read\n",
                 Count(static_cast<int64_t>(source.layers.size()), "layer"), source.format,
                 source.input, cache->path());
    ReportCache(*cache, false, options.quiet);
    WriteReports(outputs, memo->reports, memo->warnings, options);
    return memo->exit_code;
  }

  Load(options, command.evaluates_rules, config_only, std::move(source), cache.get(), &loaded);
  if (std::string(command.name) == "layers") {
    // Only the changes some report shows: JSON shows them all.
    bool every_change = options.all;
    for (const auto& [format, file] : outputs) every_change |= format == "json";
    RedactChangePaths(*loaded.scanner, CheckLayerIndex(loaded.analysis, options),
                      every_change ? 0 : options.top, &loaded.analysis);
  }
  const Analysis& analysis = loaded.analysis;
  if (options.verbose) {
    int64_t layers = static_cast<int64_t>(analysis.layers.size());
    int64_t cached = cache ? cache->stats().hits.load() : 0;
    if (analysis.config_only)
      fmt::print(stderr, "strata: {} ({}) in {}, from the manifest; none read\n",
                 Count(layers, "layer"), analysis.source.format, analysis.source.input);
    else if (cached == 0)
      fmt::print(stderr, "strata: read {} ({}) from {}\n", Count(layers, "layer"),
                 analysis.source.format, analysis.source.input);
    else
      fmt::print(stderr, "strata: {} ({}) in {}: {} read, {} from the layer cache\n",
                 Count(layers, "layer"), analysis.source.format, analysis.source.input,
                 layers - cached, cached);
    int64_t entries = 0;
    for (const Layer& layer : analysis.layers)
      entries += static_cast<int64_t>(layer.contents.entries.size());
    // history reads no layer unless --read-layers: no entries to speak of.
    if (!analysis.config_only)
      fmt::print(stderr,
                 "strata: {}; the paths imply {} that no entry stores (at most {}: "
                 "--max-implied-dirs)\n",
                 Count(entries, "entry", "entries"),
                 Count(analysis.merge.implied_directories(), "directory", "directories"),
                 options.limits.Resolve().ImpliedDirsFor(entries));
    if (!loaded.config.source.empty())
      fmt::print(stderr, "strata: configuration from {}\n", loaded.config.source);
    if (loaded.verdict) fmt::print(stderr, "strata: policy from {}\n", loaded.policy->source);
  }

  // Render everything first: a failure leaves no half-written reports.
  std::vector<std::string> texts;
  for (const auto& [format, file] : outputs)
    texts.push_back(format == kVerdictLine ? VerdictLineFor(loaded, outputs)
                                           : command.render(loaded, options, format));
  int exit_code = loaded.verdict && !loaded.verdict->passed ? kExitPolicyFailed : kExitOk;
  if (!memo_key.empty())
    cache->StoreImageResult(memo_key, EncodeMemo({exit_code, texts, analysis.warnings}));
  if (cache) ReportCache(*cache, options.verbose, options.quiet);

  WriteReports(outputs, texts, analysis.warnings, options);
  return exit_code;
}

// The message for |error|: the command's own (usage.h) once a command
// was named, a better one for an unknown command, else CLI11's.
std::string UsageMessage(const CLI::App& app, int argc, char** argv, const CLI::ParseError& error) {
  auto parsed = app.get_subcommands();
  if (!parsed.empty()) {
    std::string command = "strata " + parsed.front()->get_name();
    // strata takes no option before its command (but --help and
    // --version, which never get here): say where one goes rather than
    // that the command did not expect it.
    std::string first = argc >= 2 ? argv[1] : "";
    if (first.size() > 1 && first[0] == '-' && first != "--")
      return fmt::format("{} goes after the command: {} {} … (see {} --help)", first, command,
                         first, command);
    return CommandUsageMessage(*parsed.front(), command, error);
  }
  std::string message = std::string(error.what()) + " (see strata --help)";
  std::string names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    names += (names.empty() ? "" : ", ") + sub->get_name();
  // No command given, or an option before any: CLI11 would say "A
  // subcommand is required".
  if (argc < 2) return "strata needs a command: " + names + " (see strata --help)";
  if (argv[1][0] == '-')
    return fmt::format(
        "strata has no option {}; give a command first ({}), then its options "
        "(see strata --help)",
        Printable(argv[1]), names);
  std::string word = argv[1];
  std::string closest;
  size_t best = 3;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_name() == word) return message;
    size_t distance = EditDistance(word, sub->get_name());
    if (distance < best) {
      best = distance;
      closest = sub->get_name();
    }
  }
  std::string text = "unknown command \"" + Printable(word) + "\"";
  if (!closest.empty()) text += "; did you mean " + closest + "?";
  return text + " (commands: " + names + ") (see strata --help)";
}

// An error line's text as strata prints it: one line, names from the image
// escaped, and every word that spells a secret redacted. Errors quote what
// the image chose (a tag in a list of choices, where a link leads), which
// no output shows in full; these lines hold paths, tags, layer numbers,
// digests and URLs, which the name patterns leave alone.
std::string ShownError(const char* what) {
  try {
    std::unique_ptr<ContentScanner> scanner = MakeContentScanner(RuleConfig());
    return Printable(RedactPathsInText(*scanner, what, /*bare_names=*/true));
  } catch (const Error&) {
    return Printable(what);
  }
}

// Notices say why a long wait is happening (base/notice.h): on standard
// error, redacted as errors are, none with -q. A progress line drawn on a
// terminal is erased first; it draws itself again.
void ShowNotices(const CLI::App& app) {
  for (const CLI::App* command : app.get_subcommands()) {
    const CLI::Option* quiet = command->get_option_no_throw("--quiet");
    if (quiet != nullptr && quiet->count() > 0) return;
  }
  bool terminal = isatty(STDERR_FILENO);
  SetNoticeSink([terminal](const std::string& line) {
    fmt::print(stderr, "{}strata: {}\n", terminal ? "\r\033[K" : "", ShownError(line.c_str()));
  });
}

}  // namespace

int RunCli(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "find" &&
      !(argc == 3 && (std::string(argv[2]) == "--help" || std::string(argv[2]) == "--version"))) {
    try {
      return RunFind(std::vector<std::string>(argv + 2, argv + argc));
    } catch (const Error& error) {
      fmt::print(stderr, "strata: error: {}\n", ShownError(error.what()));
      return kExitError;
    }
  }

  CLI::App app{"strata: open container images and show what is really inside them", "strata"};
  app.set_version_flag("--version", kVersionText);
  app.require_subcommand(1);

  Options options;
  const Command* chosen = nullptr;
  for (const Command& command : Commands()) {
    CLI::App* sub = app.add_subcommand(command.name, command.description);
    AddImageOptions(sub, &options, command);
    sub->callback([&chosen, &command] { chosen = &command; });
  }

  bool list_rules = false;
  std::string rules_format = "table";
  CLI::App* rules =
      app.add_subcommand("rules", "List every rule with its id, severity and description");
  rules
      ->add_option("--config", options.config,
                   "Configuration (default: ./.strata.yaml when present)")
      ->check(NotEmptyValidator("a file name"));
  rules->add_option("--format", rules_format, "Output format: table or json");
  // Accepted as by every command, though listing rules has nothing to hush.
  bool rules_quiet = false;
  rules->add_flag("-q,--quiet", rules_quiet, "Accepted; the list has no progress or warnings");
  rules->callback([&list_rules] { list_rules = true; });

  std::function<int()> file_command;
  AddFileCommands(&app, &file_command);
  AddExploreCommand(&app, &file_command);
  // --version is a common option: every command prints what strata does.
  for (CLI::App* command : app.get_subcommands([](const CLI::App*) { return true; }))
    command->set_version_flag("--version", kVersionText);

  // The command's words as CLI11 should read them (see SplitEmptyValues).
  std::vector<std::string> words(argv, argv + argc);
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    if (argc >= 2 && sub->get_name() == words[1]) {
      std::vector<std::string> split =
          SplitEmptyValues(*sub, {words.begin() + 2, words.end()}, false);
      words.resize(2);
      words.insert(words.end(), split.begin(), split.end());
    }
  std::vector<char*> word_pointers;
  for (std::string& word : words) word_pointers.push_back(word.data());
  argc = static_cast<int>(word_pointers.size());
  argv = word_pointers.data();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForAllHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForVersion& version) {
    return app.exit(version);
  } catch (const CLI::ParseError& error) {
    // The message may quote a word of the command line: escaped, one line.
    fmt::print(stderr, "strata: error: {}\n", Printable(UsageMessage(app, argc, argv, error)));
    return kExitError;
  }

  options.args.assign(argv + 1, argv + argc);
  ShowNotices(app);
  try {
    if (file_command) return file_command();
    if (list_rules) {
      CheckFormat("rules", rules_format, {"table", "json"});
      RuleConfig config = LoadRuleConfig(options.config);
      WriteReportFiles({{"", rules_format == "json" ? DumpJson(RulesJson(config))
                                                    : RulesText(config, StyleFor(STDOUT_FILENO))}});
      return kExitOk;
    }
    return RunCommand(*chosen, options);
  } catch (const UsageError& error) {
    std::string command = app.get_subcommands().empty()
                              ? "strata"
                              : "strata " + app.get_subcommands().front()->get_name();
    fmt::print(stderr, "strata: error: {} (see {} --help)\n", Printable(error.what()), command);
    return kExitError;
  } catch (const Error& error) {
    // Messages quote names from the image: escape them, one line always.
    fmt::print(stderr, "strata: error: {}\n", ShownError(error.what()));
    return kExitError;
  } catch (const std::bad_alloc&) {
    fmt::print(stderr, "strata: error: out of memory\n");
    return kExitError;
  } catch (const std::exception& error) {
    fmt::print(stderr, "strata: error: internal error: {}\n", error.what());
    return kExitError;
  }
}

}  // namespace strata
