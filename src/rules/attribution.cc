#include "rules/attribution.h"

#include <fmt/core.h>

#include <ctime>

#include "base/units.h"
#include "model/image_config.h"
#include "rules/catalog.h"

namespace strata {

namespace {

// A base image is built hours to years before the app on top of it; steps
// of one build follow each other within minutes. An hour separates the two
// with room on both sides.
constexpr int64_t kBaseGapSeconds = 3600;

// Seconds since the epoch of an RFC 3339 time, or -1.
int64_t ParseTime(const std::string& text) {
  struct tm parts = {};
  if (text.size() < 19 ||
      strptime(text.substr(0, 19).c_str(), "%Y-%m-%dT%H:%M:%S", &parts) == nullptr)
    return -1;
  return static_cast<int64_t>(timegm(&parts));
}

bool IsRootfsImport(const HistoryStep* step) {
  if (step == nullptr) return false;
  std::string text = DescribeStep(step->created_by);
  return text.empty() || (text.starts_with("ADD file:") && text.ends_with(" in /"));
}

// The base image's layers by the history: those before the largest gap
// in creation times, else a first layer that imports a root filesystem.
BaseLayers GuessBaseLayers(const Analysis& analysis) {
  BaseLayers base;
  // The largest gap between consecutive layer-making steps.
  int64_t best_gap = 0;
  int best_split = 0;
  for (size_t i = 1; i < analysis.layers.size(); ++i) {
    const HistoryStep* before = analysis.StepOf(analysis.layers[i - 1]);
    const HistoryStep* after = analysis.StepOf(analysis.layers[i]);
    if (before == nullptr || after == nullptr) continue;
    int64_t a = ParseTime(before->created), b = ParseTime(after->created);
    if (a < 0 || b < 0) continue;
    if (b - a > best_gap) {
      best_gap = b - a;
      best_split = static_cast<int>(i);
    }
  }
  if (best_gap >= kBaseGapSeconds) {
    base.count = best_split;
    std::string layers =
        best_split == 1 ? "layer 1 was" : fmt::format("layers 1–{} were", best_split);
    base.reason =
        fmt::format("{} built {} before the rest", layers, Count(best_gap / 3600, "hour"));
    return base;
  }

  if (!analysis.layers.empty() && IsRootfsImport(analysis.StepOf(analysis.layers[0])) &&
      analysis.layers.size() > 1) {
    base.count = 1;
    base.reason = "layer 1 is a root filesystem import";
  } else {
    base.reason = "no base image layers recognised";
  }
  return base;
}

}  // namespace

BaseLayers DetectBaseLayers(const Analysis& analysis, const std::vector<std::string>& base_diff_ids,
                            const std::string& base_name) {
  if (base_diff_ids.empty()) return GuessBaseLayers(analysis);

  BaseLayers base;
  while (base.count < static_cast<int>(analysis.layers.size()) &&
         base.count < static_cast<int>(base_diff_ids.size()) &&
         analysis.layers[base.count].diff_id == base_diff_ids[base.count])
    ++base.count;
  if (base.count > 0 || analysis.layers.empty()) {
    base.reason =
        base.count == 1
            ? "the first layer matches the base image given with --base"
            : fmt::format("the first {} layers match the base image given with --base", base.count);
    return base;
  }

  // Not built on that base (another image, or another version of it): a
  // base of no layers would count the real base's findings as the
  // application's, so the history decides, as without --base, and the
  // warning says why.
  base = GuessBaseLayers(analysis);
  base.warning = fmt::format(
      "the --base image {} shares no layer with the image (their first layers differ); the base "
      "layers were found as without --base: {}",
      base_name, base.reason);
  base.reason += "; the --base image shares no layer with it";
  return base;
}

Route RouteOfLayer(const Analysis& analysis, int layer, const BaseLayers& base) {
  if (layer < 0) return Route::kConfig;
  if (layer < base.count) return Route::kBase;
  const HistoryStep* step = analysis.StepOf(analysis.layers[layer]);
  if (step == nullptr) return Route::kUnknown;
  std::string text = DescribeStep(step->created_by);
  if (text.starts_with("COPY") || text.starts_with("ADD")) return Route::kCopy;
  if (text.starts_with("RUN")) return Route::kRun;
  return Route::kUnknown;
}

namespace {

// Joins |path| onto |base| the way WORKDIR and COPY do.
std::string JoinPath(const std::string& base, const std::string& path) {
  if (path.starts_with("/")) return path;
  if (path == "." || path == "./" || path.empty()) return base;
  return (base.ends_with("/") ? base : base + "/") + path;
}

}  // namespace

std::string CopyDestination(const Analysis& analysis, int history_index) {
  const std::vector<HistoryStep>& history = analysis.config.history;
  if (history_index < 0 || history_index >= static_cast<int>(history.size())) return "";
  std::string text = DescribeStep(history[history_index].created_by);
  size_t in = text.rfind(" in ");
  if (!(text.starts_with("COPY") || text.starts_with("ADD")) || in == std::string::npos) return "";

  std::string workdir = "/";
  for (int i = 0; i < history_index; ++i) {
    std::string step = DescribeStep(history[i].created_by);
    if (step.starts_with("WORKDIR ")) workdir = JoinPath(workdir, step.substr(8));
  }
  return JoinPath(workdir, text.substr(in + 4));
}

namespace {

// A .dockerignore line for |path|, which a COPY to |destination| stored:
// the path relative to the build context when the destination says it,
// else a pattern on its name.
std::string IgnoreLine(const std::string& path, std::string destination) {
  while (destination.starts_with("/")) destination.erase(0, 1);
  while (destination.ends_with("/")) destination.pop_back();
  if (destination.empty() && !path.empty()) return path;
  if (path.starts_with(destination + "/")) return path.substr(destination.size() + 1);
  size_t slash = path.rfind('/');
  return "**/" + (slash == std::string::npos ? path : path.substr(slash + 1));
}

std::string SecretFix(const Finding& finding) {
  switch (finding.route) {
    case Route::kCopy:
      return fmt::format(
          "add `{}` to .dockerignore, rotate the credential now (every pull has it), "
          "and provide it at run time or with RUN --mount=type=secret",
          IgnoreLine(finding.path, finding.copy_destination));
    case Route::kRun:
      return "do not write credentials in a RUN step: use RUN --mount=type=secret,id=…; rotate "
             "this one now";
    case Route::kBase:
      return "comes from the base image: rebuild on a clean base and tell its maintainers; rotate "
             "it if it is yours";
    case Route::kConfig:
      return "remove it from ENV, LABEL, ARG, CMD and ENTRYPOINT (all are stored in the image); "
             "pass it at run time or with RUN --mount=type=secret, and rotate it now";
    case Route::kUnknown:
      break;
  }
  return "remove it from the image and rotate it now";
}

}  // namespace

std::string FixFor(const Finding& finding, const std::string& extra) {
  const Rule* rule = FindRule(finding.rule_id);
  std::string category = rule != nullptr ? rule->category : "";
  bool base = finding.route == Route::kBase;
  std::string slimmer =
      "comes from the base image: choose a slimmer one (distroless, -slim) or a newer one";

  // A custom rule of .strata.yaml: strata knows what it matched, not why
  // it matters, so its fix says only where the choice lies.
  if (rule == nullptr && extra.empty())
    return "remove the matched text from the image, or accept the finding in .strata.yaml";
  if (category == "secret") return SecretFix(finding);
  if (category == "vcs") {
    if (finding.route == Route::kCopy)
      return fmt::format("add `{}` to .dockerignore",
                         IgnoreLine(finding.path, finding.copy_destination));
    if (base) return slimmer;
    return "remove it in the same RUN that made it (git clone --depth 1 … && rm -rf .git), or "
           "clone in a build stage";
  }
  if (category == "cache") {
    if (finding.route == Route::kCopy)
      return fmt::format("add `{}` to .dockerignore",
                         IgnoreLine(finding.path, finding.copy_destination));
    if (base) return slimmer;
    return extra.empty()
               ? "clean the cache in the same RUN that filled it, or build in a separate stage"
               : extra;
  }
  if (category == "build-tool") {
    if (base) return slimmer;
    return "install build tools in a build stage and copy only the results into the final stage "
           "(multi-stage build), or purge them in the same RUN";
  }
  if (category == "leftover") {
    if (finding.route == Route::kCopy)
      return fmt::format("add `{}` to .dockerignore",
                         IgnoreLine(finding.path, finding.copy_destination));
    if (base) return slimmer;
    return "remove it in the same RUN that made it, or build in a separate stage";
  }
  if (category == "permission") {
    if (base) return slimmer + ", or drop the bit in a later step only if you also accept the copy";
    return "drop the bit (chmod u-s,g-s,o-w) in the same step that creates the file";
  }
  if (finding.rule_id == "runs-as-root")
    return "add USER with a non-root uid (e.g. USER 65532) after the steps that need root";
  if (finding.rule_id == "no-healthcheck")
    return "add HEALTHCHECK CMD …, or accept this finding if the orchestrator probes the app";
  if (finding.rule_id == "cleanup-in-later-layer") return extra;
  return extra;
}

}  // namespace strata
