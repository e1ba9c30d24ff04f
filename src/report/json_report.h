// JSON reports: a documented, versioned schema (doc/json-schema.md).
// Field names never change within a schema version; new fields may appear.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "model/analysis.h"
#include "policy/policy.h"
#include "rules/evaluate.h"
#include "rules/rule_config.h"

namespace strata {

// Schema identifiers written in every report's "schema" field.
inline constexpr const char* kAuditSchema = "strata.audit/v1";
inline constexpr const char* kHistorySchema = "strata.history/v1";
inline constexpr const char* kLayersSchema = "strata.layers/v1";
inline constexpr const char* kRulesSchema = "strata.rules/v1";

// `strata audit --format json`; |rules| may be null (no findings section).
nlohmann::json AuditJson(const Analysis& analysis, const RuleResults* rules);

// The policy verdict, for `audit --ci --format json` ("policy" key).
nlohmann::json VerdictJson(const Policy& policy, const Verdict& verdict);

// One finding, as the audit report and later formats write it.
nlohmann::json FindingJson(const Analysis& analysis, const Finding& finding);

// `strata rules --format json`.
nlohmann::json RulesJson(const RuleConfig& config);

// `strata history --format json`: every step, with the layer it made.
nlohmann::json HistoryJson(const Analysis& analysis);

// `strata layers --format json`: each layer (or only |only_layer|, 0-based,
// when >= 0) with every change it made.
nlohmann::json LayersJson(const Analysis& analysis, int only_layer);

// Serialises |report| with two-space indents; invalid UTF-8 in names is
// replaced by U+FFFD (JSON cannot carry raw bytes).
std::string DumpJson(const nlohmann::json& report);

}  // namespace strata
