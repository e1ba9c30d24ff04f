// The checks behind the rules. Each reads the image model (and what the
// content scanner found during the layer pass) and appends findings.
// Internal to rules/; the entry point is EvaluateRules (evaluate.h).
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/analysis.h"
#include "rules/attribution.h"
#include "rules/content_scanner.h"
#include "rules/finding.h"
#include "rules/rule_config.h"

namespace strata {

struct CheckContext {
  const Analysis& analysis;
  const RuleConfig& config;
  const ContentScanner& scanner;
  BaseLayers base;
  std::vector<RuleInfo> rules;
  // Every stored file version that does not reach the final filesystem.
  std::unordered_map<const LayerEntry*, const WasteItem*> dropped;
};

// A finding of rule |rule_id| about |path| in layer |layer| (-1: config),
// with title, severity, step, route and base filled in. |path| nullopt:
// the finding names no path (the config, a package database).
Finding MakeFinding(const CheckContext& context, const std::string& rule_id, int layer,
                    std::optional<std::string_view> path);

// Records that a later layer removed or replaced |entry|, if one did.
void AnnotateFate(const CheckContext& context, const LayerEntry* entry, Finding* finding);

void CheckSecretPaths(const CheckContext& context, std::vector<Finding>* findings);
void CheckContentHits(const CheckContext& context, std::vector<Finding>* findings);
// Names and symbolic link targets that spell a secret (a token used as a
// file's name), reported by the rule of the pattern that finds it.
void CheckSecretNames(const CheckContext& context, std::vector<Finding>* findings);
void CheckCustomPaths(const CheckContext& context, std::vector<Finding>* findings);
void CheckVcs(const CheckContext& context, std::vector<Finding>* findings);
void CheckCaches(const CheckContext& context, std::vector<Finding>* findings);
void CheckLeftovers(const CheckContext& context, std::vector<Finding>* findings);
void CheckPermissions(const CheckContext& context, std::vector<Finding>* findings);
void CheckConfig(const CheckContext& context, std::vector<Finding>* findings);
void CheckBuildTools(const CheckContext& context, std::vector<Finding>* findings);
void CheckHostilePaths(const CheckContext& context, std::vector<Finding>* findings);
// Whiteout names unpackers read unlike they look: a directory named
// .wh.NAME with entries beneath, a bare .wh., an opaque marker at the root.
void CheckOddWhiteouts(const CheckContext& context, std::vector<Finding>* findings);
// Entries stored beneath a path a lower entry made a symbolic link.
void CheckLinkParents(const CheckContext& context, std::vector<Finding>* findings);
void CheckCleanupLayers(const CheckContext& context, std::vector<Finding>* findings);

}  // namespace strata
