#include "tui/explore_command.h"

#include <fmt/core.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "cli/cache_options.h"
#include "cli/limit_options.h"
#include "cli/progress.h"
#include "cli/source_options.h"
#include "model/analysis.h"
#include "report/style.h"
#include "rules/evaluate.h"
#include "rules/rule_config.h"
#include "rules/shown_paths.h"
#include "tui/explorer.h"
#include "tui/screen.h"

namespace strata {

namespace {

struct ExploreOptions {
  std::string image;
  std::string platform;
  std::string config;  // --config FILE; "" looks for ./.strata.yaml.
  int threads = 0;
  bool quiet = false;
  LimitFlags limits;
  SourceFlags source;
  CacheFlags cache;
};

int RunExplore(const ExploreOptions& options) {
  // Checked before any work: a screen needs a terminal on both ends.
  if (!isatty(STDOUT_FILENO))
    Fail("explore needs a terminal, and standard output is not one (for a report, use audit)");
  if (!isatty(STDIN_FILENO) || options.image == "-")
    Fail("explore reads keys from standard input, which must be a terminal (not the image)");

  RuleConfig config = LoadRuleConfig(options.config);
  std::unique_ptr<ContentScanner> scanner = MakeContentScanner(config);
  OpenOptions open;
  open.platform = options.platform;
  options.source.Apply(&open);
  open.max_image_bytes = options.limits.Resolve().max_image_bytes;
  ImageSource source = OpenImage(options.image, open);
  // The same layer results audit keeps: an image just audited opens at
  // once.
  std::unique_ptr<LayerCache> cache = options.cache.Open(options.quiet);

  std::atomic<int64_t> bytes_read{0};
  AnalyzeOptions analyze;
  analyze.threads = options.threads;
  analyze.bytes_read = &bytes_read;
  analyze.inspector = scanner.get();
  analyze.limits = options.limits.Resolve();
  analyze.cache = cache.get();
  Analysis analysis;
  {
    Progress progress(&bytes_read, KnownBlobBytes(source), !options.quiet);
    analysis = Analyze(std::move(source), analyze);
  }
  if (cache) ReportCache(*cache, false, options.quiet);
  RuleResults rules = EvaluateRules(analysis, config, *scanner, TodayUtc());
  // What audit prints as warnings (an expired accepted finding, a history
  // that does not match the layers): the first on the status line, where
  // it is seen at once, and all of them on standard error on the way out,
  // where the screen no longer hides them.
  std::vector<std::string> warnings = analysis.warnings;
  warnings.insert(warnings.end(), rules.warnings.begin(), rules.warnings.end());
  RedactWarnings(*scanner, &warnings);
  std::string notice;
  if (!warnings.empty())
    notice = "warning: " + Printable(warnings.front()) +
             (warnings.size() > 1
                  ? fmt::format(" (and {} more, printed on exit)", warnings.size() - 1)
                  : "");
  RedactImageConfig(*scanner, &analysis, &rules);
  RedactWastePaths(*scanner, &analysis);

  // TODO: building the path history costs a second merge of every layer
  // (about as long as Analyze's own); it could be recorded by Analyze.
  Explorer explorer(analysis, std::move(rules.findings));
  explorer.set_shown([&scanner](std::string_view text) { return scanner->RedactPath(text); });
  // The image as audit's reports name it: its name redacted where it spells
  // a token (the screen may be shared), and an Engine image with its Engine,
  // since two hosts may hold one name.
  const ImageSource& shown = analysis.source;
  std::string title = Printable(shown.input);
  if (!shown.endpoint.empty()) title += " at " + Printable(shown.endpoint);
  RunExplorerScreen(&explorer, shown, title, analyze.limits, notice);
  if (!options.quiet)
    for (const std::string& warning : warnings)
      fmt::print(stderr, "strata: warning: {}\n", Printable(warning));
  return 0;
}

}  // namespace

void AddExploreCommand(CLI::App* app, std::function<int()>* run) {
  auto options = std::make_shared<ExploreOptions>();
  CLI::App* sub = app->add_subcommand(
      "explore", "Walk through the layers in a full-screen terminal view (keys: doc/explore.md)");
  sub->add_option("IMAGE", options->image,
                  "Image: a path (docker save archive, OCI layout or archive), or "
                  "docker-archive:PATH[:REF], oci:DIR[:REF], oci-archive:PATH[:REF]")
      ->required();
  sub->add_option(
         "--platform", options->platform,
         "Platform to pick from a multi-platform index, os/arch[/variant] (default: this host's)")
      ->check(PlatformValidator());
  sub->add_option("--config", options->config,
                  "Configuration (default: ./.strata.yaml when present)")
      ->check(NotEmptyValidator("a file name"));
  sub->add_option("--threads", options->threads, "Layers read at once (default: one per core)")
      ->check(WholeNumberValidator(1, kMaxThreads));
  sub->add_flag("-q,--quiet", options->quiet, "No progress display");
  AddLimitOptions(sub, &options->limits);
  AddSourceOptions(sub, &options->source);
  AddCacheOptions(sub, &options->cache);
  sub->callback([run, options] { *run = [options] { return RunExplore(*options); }; });
}

}  // namespace strata
