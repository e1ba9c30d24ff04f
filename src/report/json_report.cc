#include "report/json_report.h"

#include <cmath>

#include "model/image_config.h"

namespace strata {

namespace {

using json = nlohmann::json;

json ImageJson(const Analysis& analysis) {
  const ImageSource& source = analysis.source;
  const ImageConfig& config = analysis.config;
  return {
      {"input", source.input},
      {"format", source.format},
      {"reference", source.reference},
      {"endpoint", source.endpoint},
      {"manifest_digest", source.manifest_digest},
      {"config_digest", source.config_digest},
      {"os", config.os},
      {"architecture", config.architecture},
      {"variant", config.variant},
      {"created", config.created},
      {"user", config.user},
      {"working_dir", config.working_dir},
      {"entrypoint", config.entrypoint},
      {"cmd", config.cmd},
      {"exposed_ports", config.exposed_ports},
  };
}

json StepJson(const Analysis& analysis, const Layer& layer) {
  const HistoryStep* step = analysis.StepOf(layer);
  if (step == nullptr) return nullptr;
  return {{"index", layer.history_index},
          {"created_by", step->created_by},
          {"instruction", DescribeStep(step->created_by)},
          {"created", step->created},
          {"comment", step->comment}};
}

json CountJson(int files, int64_t bytes) { return {{"files", files}, {"bytes", bytes}}; }

json LayerJson(const Analysis& analysis, const Layer& layer) {
  const LayerSummary& s = layer.summary;
  return {
      {"index", layer.index + 1},
      {"digest", layer.contents.blob_digest},
      {"diff_id", layer.diff_id},
      {"media_type", layer.blob.media_type},
      {"compression", CompressionName(layer.contents.compression)},
      {"blob_bytes", layer.contents.blob_size},
      {"tar_bytes", layer.contents.tar_size},
      {"content_bytes", s.content_bytes},
      {"entries", layer.contents.entries.size()},
      {"step", StepJson(analysis, layer)},
      {"added", CountJson(s.added_files, s.added_bytes)},
      {"modified", CountJson(s.modified_files, s.modified_bytes)},
      {"metadata_only", CountJson(s.metadata_files, s.metadata_bytes)},
      {"unchanged", CountJson(s.restored_files, s.restored_bytes)},
      {"removed", {{"paths", s.removed_paths}, {"bytes", s.removed_bytes}}},
      {"wasted_bytes", s.wasted_bytes},
  };
}

json WasteItemJson(const WasteItem& item) {
  return {{"path", "/" + std::string(item.path)},
          {"layer", item.layer + 1},
          {"by_layer", item.by_layer + 1},
          {"bytes", item.size},
          {"removed", item.removed}};
}

json Fraction(double value) { return std::isnan(value) ? json(nullptr) : json(value); }

}  // namespace

json FindingJson(const Analysis& analysis, const Finding& finding) {
  json item = {
      {"rule", finding.rule_id},
      {"severity", SeverityName(finding.severity)},
      {"title", finding.title},
      {"path", finding.has_path ? json("/" + finding.path) : json(nullptr)},
      {"stored_path", finding.stored_name.empty() ? json(nullptr) : json(finding.stored_name)},
      {"detail", finding.detail},
      {"layer", finding.layer < 0 ? json(nullptr) : json(finding.layer + 1)},
      {"layer_digest", finding.layer < 0
                           ? json(nullptr)
                           : json(analysis.layers[finding.layer].contents.blob_digest)},
      {"history_index", finding.history_index < 0 ? json(nullptr) : json(finding.history_index)},
      {"created_by", finding.created_by},
      {"route", RouteName(finding.route)},
      {"base_image", finding.base},
      {"bytes", finding.bytes},
      {"fix", finding.fix}};
  item["removed_in_layer"] =
      finding.removed_by < 0 || finding.overwritten ? json(nullptr) : json(finding.removed_by + 1);
  item["replaced_in_layer"] =
      finding.removed_by < 0 || !finding.overwritten ? json(nullptr) : json(finding.removed_by + 1);
  item["still_stored"] = finding.layer >= 0 && finding.has_path;
  item["accepted"] = finding.accepted.empty() ? json(nullptr) : json(finding.accepted);
  return item;
}

json VerdictJson(const Policy& policy, const Verdict& verdict) {
  json checks = json::array();
  for (const PolicyCheck& check : verdict.checks)
    checks.push_back({{"name", check.name},
                      {"key", check.key},
                      {"status", CheckStatusName(check.status)},
                      {"measured", check.measured},
                      {"threshold", check.threshold},
                      {"metrics", check.metrics},
                      {"other_metrics_value", check.other}});
  json failing = json::array();
  for (const Finding* finding : verdict.failing)
    failing.push_back({{"rule", finding->rule_id},
                       {"path", finding->has_path ? json("/" + finding->path) : json(nullptr)},
                       {"severity", SeverityName(finding->severity)}});
  return {{"passed", verdict.passed},
          {"source", policy.source},
          {"metrics", policy.dive_metrics ? "dive" : "strata"},
          {"checks", checks},
          {"failing_findings", failing}};
}

json RulesJson(const RuleConfig& config) {
  json rules = json::array();
  for (const RuleInfo& rule : AllRules(config)) {
    Severity severity = rule.severity;
    auto changed = config.severities.find(rule.id);
    if (changed != config.severities.end()) severity = changed->second;
    rules.push_back({{"id", rule.id},
                     {"category", rule.category},
                     {"severity", SeverityName(severity)},
                     {"title", rule.title},
                     {"description", rule.description},
                     {"enabled", !config.disabled.count(rule.id)}});
  }
  return {{"schema", kRulesSchema}, {"strata_version", STRATA_VERSION}, {"rules", rules}};
}

json AuditJson(const Analysis& analysis, const RuleResults* rule_results) {
  json layers = json::array();
  for (const Layer& layer : analysis.layers) layers.push_back(LayerJson(analysis, layer));

  json waste = json::array();
  json recoverable = json::array();
  for (const WasteItem& item : analysis.waste) {
    waste.push_back(WasteItemJson(item));
    if (item.removed) recoverable.push_back(WasteItemJson(item));
  }

  double wasted_fraction = analysis.content_bytes == 0
                               ? 0.0
                               : static_cast<double>(analysis.wasted_bytes) /
                                     static_cast<double>(analysis.content_bytes);
  json report = {
      {"schema", kAuditSchema},
      {"strata_version", STRATA_VERSION},
      {"image", ImageJson(analysis)},
      {"summary",
       {{"layers", analysis.layers.size()},
        {"blob_bytes", analysis.blob_bytes},
        {"tar_bytes", analysis.tar_bytes},
        {"content_bytes", analysis.content_bytes},
        {"final_files", analysis.final_files},
        {"final_bytes", analysis.final_bytes},
        {"wasted_bytes", analysis.wasted_bytes},
        {"wasted_fraction", wasted_fraction},
        {"recoverable_files", analysis.recoverable_files},
        {"recoverable_bytes", analysis.recoverable_bytes}}},
      {"dive",
       {{"efficiency", analysis.dive.efficiency},
        {"wasted_bytes", analysis.dive.wasted_bytes},
        {"image_bytes", analysis.dive.image_size},
        {"user_bytes", analysis.dive.user_size},
        {"user_wasted_fraction", Fraction(analysis.dive.user_wasted_fraction)}}},
      {"layers", layers},
      {"waste", waste},
      {"recoverable", recoverable},
      {"warnings", analysis.warnings},
  };
  if (rule_results != nullptr) {
    json findings = json::array();
    json counts = {{"critical", 0}, {"high", 0}, {"medium", 0}, {"low", 0}, {"info", 0}};
    for (const Finding& finding : rule_results->findings) {
      findings.push_back(FindingJson(analysis, finding));
      if (finding.accepted.empty())
        counts[SeverityName(finding.severity)] =
            counts[SeverityName(finding.severity)].get<int>() + 1;
    }
    report["findings"] = findings;
    report["summary"]["findings"] = counts;
    report["base_image"] = {{"layers", rule_results->base.count},
                            {"reason", rule_results->base.reason}};
  }
  return report;
}

json HistoryJson(const Analysis& analysis) {
  std::vector<int> layer_of(analysis.config.history.size(), 0);
  for (const Layer& layer : analysis.layers)
    if (layer.history_index >= 0) layer_of[layer.history_index] = layer.index + 1;

  json steps = json::array();
  for (size_t i = 0; i < analysis.config.history.size(); ++i) {
    const HistoryStep& step = analysis.config.history[i];
    json item = {{"index", i},
                 {"created", step.created},
                 {"created_by", step.created_by},
                 {"instruction", DescribeStep(step.created_by)},
                 {"comment", step.comment},
                 {"empty_layer", step.empty_layer},
                 {"layer", layer_of[i] == 0 ? json(nullptr) : json(layer_of[i])}};
    if (layer_of[i] != 0) {
      const Layer& layer = analysis.layers[layer_of[i] - 1];
      if (!analysis.config_only) item["content_bytes"] = layer.summary.content_bytes;
      item["blob_bytes"] = layer.blob.size;
      item["diff_id"] = layer.diff_id;
    }
    steps.push_back(item);
  }
  return {{"schema", kHistorySchema},
          {"strata_version", STRATA_VERSION},
          {"image", ImageJson(analysis)},
          {"history", steps},
          {"warnings", analysis.warnings}};
}

json LayersJson(const Analysis& analysis, int only_layer) {
  json layers = json::array();
  for (const Layer& layer : analysis.layers) {
    if (only_layer >= 0 && layer.index != only_layer) continue;
    json item = LayerJson(analysis, layer);
    json changes = json::array();
    for (const Change& change : layer.changes) {
      changes.push_back({{"path", "/" + std::string(change.path())},
                         {"change", ChangeKindName(change.kind())},
                         {"type", EntryKindName(change.type())},
                         {"bytes", change.size()},
                         {"previous_bytes", change.previous_size()},
                         {"files", change.files()}});
    }
    item["changes"] = changes;
    layers.push_back(item);
  }
  return {{"schema", kLayersSchema},
          {"strata_version", STRATA_VERSION},
          {"image", ImageJson(analysis)},
          {"layers", layers},
          {"warnings", analysis.warnings}};
}

std::string DumpJson(const json& report) {
  return report.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace strata
