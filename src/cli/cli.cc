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
  bool all = false;
  bool quiet = false;
  bool verbose = false;
};

struct Command {
  const char* name;
  const char* description;
  std::function<std::string(const Analysis&, const Options&)> render;
  bool has_layer_option;
};

void Warn(const std::string& message) { fmt::print(stderr, "strata: warning: {}\n", message); }

Analysis Load(const Options& options) {
  OpenOptions open;
  open.platform = options.platform;
  ImageSource source = OpenImage(options.image, open);

  std::atomic<int64_t> bytes_read{0};
  AnalyzeOptions analyze;
  analyze.threads = options.threads;
  analyze.bytes_read = &bytes_read;
  Progress progress(&bytes_read, KnownBlobBytes(source), !options.quiet);
  return Analyze(std::move(source), analyze);
}

int CheckLayerIndex(const Analysis& analysis, const Options& options) {
  if (options.layer == 0) return -1;
  int count = static_cast<int>(analysis.layers.size());
  if (options.layer < 1 || options.layer > count)
    Fail("--layer {} is out of range: the image has {} layers (1 to {})", options.layer, count, count);
  return options.layer - 1;
}

std::string RenderAudit(const Analysis& analysis, const Options& options) {
  if (options.format == "json") return DumpJson(AuditJson(analysis));
  TextOptions text;
  text.top = options.top;
  return AuditText(analysis, StyleFor(STDOUT_FILENO), text);
}

std::string RenderHistory(const Analysis& analysis, const Options& options) {
  if (options.format == "json") return DumpJson(HistoryJson(analysis));
  return HistoryText(analysis, StyleFor(STDOUT_FILENO));
}

std::string RenderLayers(const Analysis& analysis, const Options& options) {
  int only = CheckLayerIndex(analysis, options);
  if (options.format == "json") return DumpJson(LayersJson(analysis, only));
  return LayersText(analysis, only, options.all ? 0 : options.top, StyleFor(STDOUT_FILENO));
}

const std::vector<Command>& Commands() {
  static const std::vector<Command> commands = {
      {"audit", "Summarise an image: layers, build steps, sizes, efficiency and waste",
       RenderAudit, false},
      {"history", "Show the build steps and the layer each made (docker history --no-trunc, no daemon)",
       RenderHistory, false},
      {"layers", "Show what each layer added, modified and removed, largest first", RenderLayers,
       true},
  };
  return commands;
}

void AddImageOptions(CLI::App* app, Options* options, bool has_layer_option) {
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
  if (has_layer_option) {
    app->add_option("--layer", options->layer, "Only this layer (1 is the base)");
    app->add_flag("--all", options->all, "List every change, not only the largest");
  }
}

int RunCommand(const Command& command, const Options& options) {
  Analysis analysis = Load(options);
  if (options.verbose)
    fmt::print(stderr, "strata: read {} layers ({}) from {}\n", analysis.layers.size(),
               analysis.source.format, analysis.source.input);
  std::string output = command.render(analysis, options);
  if (!options.quiet && options.format != "json")
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
    AddImageOptions(sub, &options, command.has_layer_option);
    sub->callback([&chosen, &command] { chosen = &command; });
  }

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
