#include "cli/cli.h"

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "base/error.h"
#include "cli/progress.h"
#include "model/analysis.h"
#include "report/json_report.h"
#include "report/text_report.h"
#include "rules/evaluate.h"
#include "rules/rule_config.h"
#include "model/image_config.h"

#include <optional>

namespace strata {

namespace {

// Options shared by every subcommand that reads an image.
struct Options {
  std::string image;
  std::string format = "table";
  std::string platform;
  int threads = 0;
  int top = 10;
  int layer = 0;  // 1-based on the command line; 0 = all.
  std::string config;  // --config FILE; "" looks for ./.strata.yaml.
  std::string base;    // --base IMAGE: the base image, to tell its layers apart.
  bool no_rules = false;  // --no-rules: sizes and waste only.
  bool all = false;
  bool quiet = false;
  bool verbose = false;
};

// What a command works on: the analysed image and, for commands that
// evaluate rules, the findings.
struct Loaded {
  RuleConfig config;
  std::unique_ptr<ContentScanner> scanner;
  Analysis analysis;
  std::optional<RuleResults> rules;
};

struct Command {
  const char* name;
  const char* description;
  std::function<std::string(const Loaded&, const Options&)> render;
  bool has_layer_option;
  bool evaluates_rules;
};

void Warn(const std::string& message) { fmt::print(stderr, "strata: warning: {}\n", message); }

// The diff_ids of the image named by --base; only its config is read.
std::vector<std::string> BaseDiffIds(const Options& options) {
  OpenOptions open;
  open.platform = options.platform;
  ImageSource base = OpenImage(options.base, open);
  return ParseImageConfig(base.config_json, "the config of the base image " + options.base).diff_ids;
}

void Load(const Options& options, bool evaluates_rules, Loaded* loaded) {
  evaluates_rules = evaluates_rules && !options.no_rules;
  if (evaluates_rules) {
    loaded->config = LoadRuleConfig(options.config);
    if (!options.base.empty()) loaded->config.base_diff_ids = BaseDiffIds(options);
    loaded->scanner = MakeContentScanner(loaded->config);
  }

  OpenOptions open;
  open.platform = options.platform;
  ImageSource source = OpenImage(options.image, open);

  std::atomic<int64_t> bytes_read{0};
  AnalyzeOptions analyze;
  analyze.threads = options.threads;
  analyze.bytes_read = &bytes_read;
  analyze.inspector = loaded->scanner.get();
  {
    Progress progress(&bytes_read, KnownBlobBytes(source), !options.quiet);
    loaded->analysis = Analyze(std::move(source), analyze);
  }
  if (evaluates_rules)
    loaded->rules = EvaluateRules(loaded->analysis, loaded->config, *loaded->scanner, TodayUtc());
}

int CheckLayerIndex(const Analysis& analysis, const Options& options) {
  if (options.layer == 0) return -1;
  int count = static_cast<int>(analysis.layers.size());
  if (options.layer < 1 || options.layer > count)
    Fail("--layer {} is out of range: the image has {} layers (1 to {})", options.layer, count, count);
  return options.layer - 1;
}

std::string RenderAudit(const Loaded& loaded, const Options& options) {
  const RuleResults* rules = loaded.rules ? &*loaded.rules : nullptr;
  if (options.format == "json") return DumpJson(AuditJson(loaded.analysis, rules));
  TextOptions text;
  text.top = options.top;
  return AuditText(loaded.analysis, rules, StyleFor(STDOUT_FILENO), text);
}

std::string RenderHistory(const Loaded& loaded, const Options& options) {
  if (options.format == "json") return DumpJson(HistoryJson(loaded.analysis));
  return HistoryText(loaded.analysis, StyleFor(STDOUT_FILENO));
}

std::string RenderLayers(const Loaded& loaded, const Options& options) {
  const Analysis& analysis = loaded.analysis;
  int only = CheckLayerIndex(analysis, options);
  if (options.format == "json") return DumpJson(LayersJson(analysis, only));
  return LayersText(analysis, only, options.all ? 0 : options.top, StyleFor(STDOUT_FILENO));
}

const std::vector<Command>& Commands() {
  static const std::vector<Command> commands = {
      {"audit", "Summarise an image: layers, build steps, sizes, waste, and what should not be in it",
       RenderAudit, false, true},
      {"history", "Show the build steps and the layer each made (docker history --no-trunc, no daemon)",
       RenderHistory, false, false},
      {"layers", "Show what each layer added, modified and removed, largest first", RenderLayers,
       true, false},
  };
  return commands;
}

void AddImageOptions(CLI::App* app, Options* options, const Command& command) {
  app->add_option("IMAGE", options->image,
                  "Image: a path (docker save archive, OCI layout or archive), '-' for stdin, "
                  "or docker-archive:PATH[:REF], oci:DIR[:REF], oci-archive:PATH[:REF]")
      ->required();
  app->add_option("--format", options->format, "Output format: table or json")
      ->check(CLI::IsMember({"table", "json"}));
  app->add_option("--platform", options->platform,
                  "Platform to pick from a multi-platform index, os/arch[/variant] (default: this host's)");
  app->add_option("--threads", options->threads, "Layers read at once (default: one per core)")
      ->check(CLI::Range(1, 256));
  app->add_option("--top", options->top, "Rows in each list of the table output")
      ->check(CLI::Range(1, 1000000));
  app->add_flag("-q,--quiet", options->quiet, "No progress display and no warnings");
  app->add_flag("-v,--verbose", options->verbose, "Say more about what is read");
  if (command.evaluates_rules) {
    app->add_option("--config", options->config, "Rule configuration (default: ./.strata.yaml when present)");
    app->add_option("--base", options->base, "The base image (any IMAGE spelling), to tell its layers apart");
    app->add_flag("--no-rules", options->no_rules, "Only sizes and waste: no findings, no content scan");
  }
  if (command.has_layer_option) {
    app->add_option("--layer", options->layer, "Only this layer (1 is the base)");
    app->add_flag("--all", options->all, "List every change, not only the largest");
  }
}

int RunCommand(const Command& command, const Options& options) {
  Loaded loaded;
  Load(options, command.evaluates_rules, &loaded);
  const Analysis& analysis = loaded.analysis;
  if (options.verbose) {
    fmt::print(stderr, "strata: read {} layers ({}) from {}\n", analysis.layers.size(),
               analysis.source.format, analysis.source.input);
    if (!loaded.config.source.empty()) fmt::print(stderr, "strata: rules configured by {}\n", loaded.config.source);
  }
  std::string output = command.render(loaded, options);
  if (!options.quiet)
    for (const std::string& warning : analysis.warnings) Warn(warning);
  fwrite(output.data(), 1, output.size(), stdout);
  if (fflush(stdout) != 0) Fail("cannot write the report to standard output");
  return kExitOk;
}

}  // namespace

int RunCli(int argc, char** argv) {
  CLI::App app{"strata: open container images and show what is really inside them", "strata"};
  app.set_version_flag("--version", std::string("strata ") + STRATA_VERSION);
  app.require_subcommand(1);

  Options options;
  const Command* chosen = nullptr;
  for (const Command& command : Commands()) {
    CLI::App* sub = app.add_subcommand(command.name, command.description);
    AddImageOptions(sub, &options, command);
    sub->callback([&chosen, &command] { chosen = &command; });
  }

  bool list_rules = false;
  CLI::App* rules = app.add_subcommand("rules", "List every rule with its id, severity and description");
  rules->add_option("--config", options.config, "Rule configuration (default: ./.strata.yaml when present)");
  rules->add_option("--format", options.format, "Output format: table or json")->check(CLI::IsMember({"table", "json"}));
  rules->callback([&list_rules] { list_rules = true; });

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForAllHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForVersion& version) {
    return app.exit(version);
  } catch (const CLI::ParseError& error) {
    fmt::print(stderr, "strata: error: {}\n", error.what());
    fmt::print(stderr, "Run 'strata --help' for usage.\n");
    return kExitError;
  }

  try {
    if (list_rules) {
      RuleConfig config = LoadRuleConfig(options.config);
      std::string output = options.format == "json" ? DumpJson(RulesJson(config)) : RulesText(config, StyleFor(STDOUT_FILENO));
      fwrite(output.data(), 1, output.size(), stdout);
      return kExitOk;
    }
    return RunCommand(*chosen, options);
  } catch (const Error& error) {
    fmt::print(stderr, "strata: error: {}\n", error.what());
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
