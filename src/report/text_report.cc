#include "report/text_report.h"

#include <fmt/core.h>

#include <cmath>

#include "base/units.h"
#include "model/image_config.h"

namespace strata {

namespace {

std::string Percent(double fraction) {
  if (std::isnan(fraction)) return "n/a";
  return fmt::format("{:.1f}%", fraction * 100);
}

std::string ShortDigest(const std::string& digest) {
  std::string hex = digest.starts_with("sha256:") ? digest.substr(7) : digest;
  return hex.substr(0, 12);
}

std::string StepText(const Analysis& analysis, const Layer& layer) {
  const HistoryStep* step = analysis.StepOf(layer);
  if (step == nullptr) return "(no history)";
  if (!step->created_by.empty()) return Printable(DescribeStep(step->created_by));
  if (!step->comment.empty()) return Printable("(" + step->comment + ")");
  return "(no command recorded)";
}

std::string Platform(const ImageConfig& config) {
  std::string text = config.os + "/" + config.architecture;
  return config.variant.empty() ? text : text + "/" + config.variant;
}

void AppendHeader(const Analysis& analysis, const Style& style, std::string* out) {
  const ImageSource& source = analysis.source;
  std::string name = ImageTitle(source.input, source.reference);
  *out += fmt::format("{}   {}\n", style.Bold("Image"), Printable(name));
  // An Engine image says which Engine: two hosts may hold one name.
  std::string format = source.endpoint.empty()
                           ? source.format
                           : fmt::format("{} at {}", source.format, Printable(source.endpoint));
  *out += fmt::format("{}  {} · {} · created {}\n", style.Bold("Format"), format,
                      Printable(Platform(analysis.config)),
                      analysis.config.created.empty()
                          ? "unknown"
                          : Printable(analysis.config.created.substr(0, 19)));
  *out +=
      fmt::format("{}    {} · {} stored · {} uncompressed · final filesystem {}, {}\n",
                  style.Bold("Size"), Count(static_cast<int64_t>(analysis.layers.size()), "layer"),
                  HumanBytes(analysis.blob_bytes), HumanBytes(analysis.tar_bytes),
                  Count(analysis.final_files, "file"), HumanBytes(analysis.final_bytes));
}

int Digits(int64_t number) { return static_cast<int>(std::to_string(number).size()); }

void AppendLayers(const Analysis& analysis, const Style& style, std::string* out) {
  // The number columns grow with their widest number: a hundredth layer,
  // or a layer of a hundred thousand files, keeps the table straight.
  auto changed = [](const LayerSummary& s) {
    return s.modified_files + s.metadata_files + s.restored_files;
  };
  int index_width = std::max(2, Digits(static_cast<int64_t>(analysis.layers.size())));
  int added_width = 5, changed_width = 4, removed_width = 4;
  for (const Layer& layer : analysis.layers) {
    added_width = std::max(added_width, Digits(layer.summary.added_files));
    changed_width = std::max(changed_width, Digits(changed(layer.summary)));
    removed_width = std::max(removed_width, Digits(layer.summary.removed_paths));
  }

  *out += "\n" + style.Bold("Layers") + "\n";
  std::string header =
      fmt::format("  {:>{}}  {:>8}  {:>{}}  {:>{}}  {:>{}}  {:>9}  STEP", "#", index_width, "SIZE",
                  "ADDED", added_width, "MOD", changed_width, "DEL", removed_width, "WASTE");
  *out += style.Dim(header) + "\n";
  // As before the columns grew: the step stops three columns short of the edge.
  int step_width = std::max(20, style.width - static_cast<int>(header.size()) + 1);
  for (const Layer& layer : analysis.layers) {
    const LayerSummary& s = layer.summary;
    std::string waste =
        s.wasted_bytes > 0 ? style.Yellow(PadLeft(HumanBytes(s.wasted_bytes), 9)) : PadLeft("-", 9);
    *out += fmt::format("  {:>{}}  {:>8}  {:>{}}  {:>{}}  {:>{}}  {}  {}\n", layer.index + 1,
                        index_width, HumanBytes(s.content_bytes), s.added_files, added_width,
                        changed(s), changed_width, s.removed_paths, removed_width, waste,
                        Truncate(StepText(analysis, layer), step_width));
  }
}

void AppendEfficiency(const Analysis& analysis, const Style& style, std::string* out) {
  double fraction = analysis.content_bytes == 0 ? 0.0
                                                : static_cast<double>(analysis.wasted_bytes) /
                                                      static_cast<double>(analysis.content_bytes);
  *out += "\n" + style.Bold("Waste") + "\n";
  *out += fmt::format(
      "  strata  {} wasted ({} of stored file bytes, {}); "
      "{} recoverable in {}\n",
      HumanBytes(analysis.wasted_bytes), Percent(fraction),
      Count(static_cast<int64_t>(analysis.waste.size()), "version"),
      HumanBytes(analysis.recoverable_bytes), Count(analysis.recoverable_files, "removed file"));
  *out += fmt::format("  dive    efficiency {} · wasted {} · user wasted {}\n",
                      Percent(analysis.dive.efficiency), HumanBytes(analysis.dive.wasted_bytes),
                      Percent(analysis.dive.user_wasted_fraction));
}

// Lists up to |top| waste items for which |want(item)| holds.
template <typename Predicate>
void AppendWasteList(const Analysis& analysis, const Style& style, const std::string& title,
                     int top, Predicate want, std::string* out) {
  int total = 0;
  for (const WasteItem& item : analysis.waste) total += want(item) ? 1 : 0;
  if (total == 0) return;

  *out += "\n" + style.Bold(title) + "\n";
  *out += style.Dim("      SIZE  LAYER  FATE          PATH") + "\n";
  int shown = 0;
  int path_width = std::max(20, style.width - 36);
  for (const WasteItem& item : analysis.waste) {
    if (!want(item) || shown++ >= top) continue;
    std::string fate =
        fmt::format("{} in {}", item.removed ? "removed" : "replaced", item.by_layer + 1);
    *out += fmt::format("  {:>8}  {:>5}  {}  {}\n", HumanBytes(item.size), item.layer + 1,
                        PadRight(item.removed ? style.Red(fate) : fate, 12),
                        TruncateMiddle(Printable("/" + std::string(item.path)), path_width));
  }
  if (total > top)
    *out +=
        style.Dim(fmt::format("  … and {} more (--top N, or --format json)", total - top)) + "\n";
}

void AppendWarnings(const Analysis& analysis, const Style& style, std::string* out) {
  if (analysis.warnings.empty()) return;
  *out += "\n" + style.Bold("Warnings") + "\n";
  for (const std::string& warning : analysis.warnings) *out += "  " + Printable(warning) + "\n";
}

std::string SeverityLabel(Severity severity, const Style& style) {
  std::string label = PadRight(SeverityName(severity), 8);
  switch (severity) {
    case Severity::kCritical:
    case Severity::kHigh:
      return style.Red(label);
    case Severity::kMedium:
      return style.Yellow(label);
    default:
      return label;
  }
}

// How the layer's content got in, "" when its history step does not say
// (a step neither RUN nor COPY, or none).
std::string RouteLabel(Route route) {
  switch (route) {
    case Route::kCopy:
      return "COPY";
    case Route::kRun:
      return "RUN";
    case Route::kBase:
      return "base";
    case Route::kConfig:
      return "config";
    case Route::kUnknown:
      break;
  }
  return "";
}

// Where the finding is: "layer 6 COPY, removed in layer 8 (still stored)".
std::string Whereabouts(const Finding& finding) {
  std::string text =
      finding.layer < 0 ? "image config" : fmt::format("layer {}", finding.layer + 1);
  if (finding.layer >= 0 && !RouteLabel(finding.route).empty())
    text += " " + RouteLabel(finding.route);
  if (finding.route == Route::kConfig && finding.layer >= 0)
    text = fmt::format("layer {} build step", finding.layer + 1);
  if (finding.removed_by >= 0) {
    text += finding.overwritten ? fmt::format(", replaced in layer {} (old copy still stored)",
                                              finding.removed_by + 1)
                                : fmt::format(", removed in layer {} (still stored, recoverable)",
                                              finding.removed_by + 1);
  }
  return text;
}

// A finding's first line: severity, rule, path and detail. The detail is
// shown whole, as the other formats show it ("(also stored in layers 3
// and 5)" ends many): what does not fit on the line goes on below,
// aligned under the path, within the width. A path too long is cut, as in
// every table.
void AppendWhat(const Finding& finding, const Style& style, std::string* out) {
  int column = 14 + static_cast<int>(finding.rule_id.size());
  int width = std::max(20, style.width - column);
  std::string path = finding.has_path ? TruncateMiddle(Printable(PathText(finding)), width) : "";
  int first_width = path.empty() ? width : width - Columns(path) - 2;
  std::vector<std::string> detail = WrapWhole(Printable(finding.detail), first_width, width);

  std::string first =
      path.empty() || detail[0].empty() ? path + detail[0] : path + "  " + detail[0];
  *out +=
      fmt::format("  {}  {}  {}\n", SeverityLabel(finding.severity, style), finding.rule_id, first);
  for (size_t i = 1; i < detail.size(); ++i)
    *out += std::string(static_cast<size_t>(column), ' ') + detail[i] + "\n";
}

void AppendFinding(const Finding& finding, const Style& style, std::string* out) {
  AppendWhat(finding, style, out);
  std::string second = Whereabouts(finding);
  if (!finding.accepted.empty()) second = "accepted: " + finding.accepted + " · " + second;
  *out += "            " + style.Dim(Truncate(Printable(second), style.width - 12)) + "\n";
  std::vector<std::string> fix = WrapWords(Printable("fix: " + finding.fix), style.width - 12);
  for (size_t i = 0; i < fix.size() && i < 3; ++i)
    *out += "            " + style.Dim((i ? "     " : "") + fix[i]) + "\n";
}

void AppendFindings(const RuleResults& rules, const Style& style, int top, std::string* out) {
  int counts[5] = {};
  int base_count = 0, accepted = 0;
  for (const Finding& finding : rules.findings) {
    if (!finding.accepted.empty()) {
      ++accepted;
      continue;
    }
    // The base image's count too, as the other formats count them; they
    // are listed apart.
    base_count += finding.base;
    ++counts[static_cast<int>(finding.severity)];
  }
  *out += "\n" + style.Bold("Findings") +
          fmt::format("  {} critical · {} high · {} medium · {} low · {} info", counts[4],
                      counts[3], counts[2], counts[1], counts[0]) +
          (base_count ? fmt::format(" ({} in the base image)", base_count) : "") +
          (accepted ? fmt::format(" · {} accepted", accepted) : "") + "\n";

  int shown = 0, hidden = 0;
  for (const Finding& finding : rules.findings) {
    if (finding.base || !finding.accepted.empty()) continue;
    if (shown++ < top)
      AppendFinding(finding, style, out);
    else
      ++hidden;
  }
  if (shown == 0) *out += "  none\n";
  if (hidden > 0)
    *out += style.Dim(fmt::format("  … and {} more (--top N, or --format json)", hidden)) + "\n";

  if (base_count > 0) {
    *out += "\n" + style.Bold("Findings in the base image") +
            fmt::format("  {} ({})", base_count, rules.base.reason) + "\n";
    int base_shown = 0;
    for (const Finding& finding : rules.findings) {
      if (!finding.base || !finding.accepted.empty()) continue;
      if (base_shown++ >= top) break;
      AppendFinding(finding, style, out);
    }
    if (base_count > top)
      *out +=
          style.Dim(fmt::format("  … and {} more (--top N, or --format json)", base_count - top)) +
          "\n";
  }

  if (accepted > 0) {
    *out += "\n" + style.Bold("Accepted findings") +
            fmt::format("  {} (from the accept list; they fail no build)", accepted) + "\n";
    for (const Finding& finding : rules.findings) {
      if (finding.accepted.empty()) continue;
      // The reason is the user's own words: shown whole, wrapped under the
      // path as a finding's detail is.
      std::string what = finding.has_path ? PathText(finding) : finding.detail;
      int column = 14 + static_cast<int>(finding.rule_id.size());
      std::vector<std::string> lines =
          WrapWhole(Printable(what + " — " + finding.accepted), style.width - column,
                    std::max(20, style.width - column));
      *out += fmt::format("  {}  {}  {}\n", PadRight(SeverityName(finding.severity), 8),
                          finding.rule_id, lines[0]);
      for (size_t i = 1; i < lines.size(); ++i)
        *out += std::string(static_cast<size_t>(column), ' ') + lines[i] + "\n";
    }
  }
}

}  // namespace

std::string VerdictText(const Policy& policy, const Verdict& verdict, const Style& style) {
  std::string out = "\n" + style.Bold("Policy") +
                    fmt::format("  from {}; thresholds on {}'s figures", policy.source,
                                policy.dive_metrics ? "dive" : "strata") +
                    "\n";
  for (const PolicyCheck& check : verdict.checks) {
    std::string status = CheckStatusName(check.status);
    status = check.status == CheckStatus::kFail   ? style.Red(status)
             : check.status == CheckStatus::kPass ? style.Green(status)
                                                  : style.Dim(status);
    std::string other = check.other.empty()
                            ? ""
                            : fmt::format("   ({} figure: {})",
                                          check.metrics == "dive" ? "strata" : "dive", check.other);
    out += fmt::format("  {}  {}  {}  {}{}\n", status, PadRight(check.name, 28),
                       PadRight(check.measured, 24), check.threshold, style.Dim(other));
  }
  for (const Finding* finding : verdict.failing)
    out += fmt::format("  {} {} {}\n", style.Red("✗"), finding->rule_id,
                       finding->has_path ? PathText(*finding) : Printable(finding->detail));
  out += verdict.passed ? style.Green("Result: PASS") + "\n" : style.Red("Result: FAIL") + "\n";
  return out;
}

std::string VerdictLine(const Verdict& verdict) {
  std::vector<std::string> reasons;
  // "lowest efficiency 0.5955 (>= 0.9)" read as a claim that it is;
  // a bound says what was needed.
  for (const PolicyCheck& check : verdict.checks)
    if (check.status == CheckStatus::kFail)
      reasons.push_back(fmt::format("{} {} ({}{})", check.name, check.measured,
                                    check.threshold.find_first_of("<>") == 0 ? "needs " : "",
                                    check.threshold));
  std::string line = verdict.passed ? "Result: PASS" : "Result: FAIL";
  for (size_t i = 0; i < reasons.size(); ++i) line += (i == 0 ? ": " : "; ") + reasons[i];
  return line;
}

std::string RulesText(const RuleConfig& config, const Style& style) {
  std::string out = style.Dim(PadRight("RULE", 28) + PadRight("SEVERITY", 10) + "TITLE") + "\n";
  for (const RuleInfo& rule : AllRules(config)) {
    Severity severity = rule.severity;
    auto changed = config.severities.find(rule.id);
    if (changed != config.severities.end()) severity = changed->second;
    std::string title = rule.title + (config.disabled.count(rule.id) ? " (disabled)" : "");
    out += PadRight(rule.id, 28) + PadRight(SeverityName(severity), 10) + title + "\n";
    out += style.Dim(PadRight("", 38) + Truncate(rule.description, style.width - 38)) + "\n";
  }
  return out;
}

std::string AuditText(const Analysis& analysis, const RuleResults* rules, const Style& style,
                      const TextOptions& options) {
  std::string out;
  AppendHeader(analysis, style, &out);
  AppendLayers(analysis, style, &out);
  AppendEfficiency(analysis, style, &out);
  AppendWasteList(
      analysis, style, "Largest waste", options.top, [](const WasteItem&) { return true; }, &out);
  AppendWasteList(
      analysis, style, "Removed files still stored (recoverable from their layer)", options.top,
      [](const WasteItem& item) { return item.removed; }, &out);
  if (rules != nullptr) AppendFindings(*rules, style, options.top, &out);
  AppendWarnings(analysis, style, &out);
  return out;
}

std::string HistoryText(const Analysis& analysis, const Style& style) {
  std::vector<int> layer_of(analysis.config.history.size(), -1);
  for (const Layer& layer : analysis.layers)
    if (layer.history_index >= 0) layer_of[layer.history_index] = layer.index;

  // Without reading layers the size known is the stored blob's.
  const char* size_title = analysis.config_only ? "STORED  " : "SIZE    ";
  std::string out =
      style.Dim(std::string(" STEP  LAYER  CREATED               ") + size_title + "  CREATED BY") +
      "\n";
  for (size_t i = 0; i < analysis.config.history.size(); ++i) {
    const HistoryStep& step = analysis.config.history[i];
    int layer = layer_of[i];
    int64_t bytes = layer < 0              ? 0
                    : analysis.config_only ? analysis.layers[layer].blob.size
                                           : analysis.layers[layer].summary.content_bytes;
    std::string size = bytes < 0 ? "?" : HumanBytes(bytes);
    out += fmt::format(
        " {:>4}  {:>5}  {:<20}  {:>8}  {}\n", i + 1,
        layer < 0 ? std::string("-") : std::to_string(layer + 1), step.created.substr(0, 19), size,
        Printable(step.created_by.empty() && !step.comment.empty() ? "(" + step.comment + ")"
                                                                   : step.created_by));
  }
  // Layers no step made (a history shorter than the layers, as the
  // warning says): listed too, so that every layer has its row.
  for (const Layer& layer : analysis.layers) {
    if (layer.history_index >= 0) continue;
    int64_t bytes = analysis.config_only ? layer.blob.size : layer.summary.content_bytes;
    out += fmt::format(" {:>4}  {:>5}  {:<20}  {:>8}  {}\n", "-", layer.index + 1, "",
                       bytes < 0 ? "?" : HumanBytes(bytes), "(no history step for this layer)");
  }
  if (analysis.config.history.empty()) out += "  (the image config records no history)\n";
  return out;
}

std::string LayersText(const Analysis& analysis, int only_layer, int limit, const Style& style) {
  std::string out;
  for (const Layer& layer : analysis.layers) {
    if (only_layer >= 0 && layer.index != only_layer) continue;
    const LayerSummary& s = layer.summary;
    out += style.Bold(fmt::format("Layer {}", layer.index + 1)) +
           fmt::format(
               "  {}  {} stored ({}) · {} uncompressed\n", ShortDigest(layer.contents.blob_digest),
               HumanBytes(layer.contents.blob_size), CompressionName(layer.contents.compression),
               HumanBytes(layer.contents.tar_size));
    out += "  " + Truncate(StepText(analysis, layer), style.width - 2) + "\n";
    out += fmt::format(
        "  {} added ({}), {} modified ({}), {} metadata only, {} unchanged copies, "
        "{} removed ({}), {} wasted\n",
        s.added_files, HumanBytes(s.added_bytes), s.modified_files, HumanBytes(s.modified_bytes),
        s.metadata_files, s.restored_files, s.removed_paths, HumanBytes(s.removed_bytes),
        HumanBytes(s.wasted_bytes));

    int shown = 0;
    for (const Change& change : layer.changes) {
      if (limit > 0 && shown >= limit) break;
      ++shown;
      std::string kind = PadRight(ChangeKindName(change.kind()), 9);
      if (change.kind() == ChangeKind::kRemoved) kind = style.Red(kind);
      if (change.kind() == ChangeKind::kAdded) kind = style.Green(kind);
      std::string path =
          "/" + std::string(change.path()) + (change.type() == EntryKind::kDirectory ? "/" : "");
      out += fmt::format("    {}  {:>8}  {}\n", kind, HumanBytes(change.size()),
                         TruncateMiddle(Printable(path), style.width - 26));
    }
    if (limit > 0 && static_cast<int>(layer.changes.size()) > limit)
      out +=
          style.Dim(fmt::format("    … and {} more (--all)", layer.changes.size() - limit)) + "\n";
    out += "\n";
  }
  return out;
}

}  // namespace strata
