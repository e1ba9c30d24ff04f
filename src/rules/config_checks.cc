// Rules on the image config: secrets in ENV, LABEL and recorded build
// arguments, passwords typed into a history step, CMD or ENTRYPOINT and
// any known token in a step or in any other string of the config (WORKDIR,
// USER, a volume, a history comment) or in the image's reference, the user
// it runs as, and its health check.
#include <fmt/core.h>

#include <algorithm>
#include <map>
#include <string_view>

#include "model/image_config.h"
#include "rules/catalog.h"
#include "rules/checks.h"
#include "rules/evaluate.h"
#include "rules/secret_patterns.h"
#include "rules/step_secrets.h"

namespace strata {

namespace {

// Checks one NAME=value pair of the config; |where| says where it is.
void CheckPair(const CheckContext& context, const char* rule, int layer, const std::string& name,
               const std::string& value, const std::string& where, std::vector<Finding>* findings) {
  std::vector<ContentHit> hits = context.scanner.ScanText(value);
  if (!hits.empty()) {
    for (const ContentHit& hit : hits) {
      Finding finding = MakeFinding(context, rule, layer, std::nullopt);
      finding.route = Route::kConfig;
      finding.detail = fmt::format("{} {}: {} ({})", where, context.scanner.RedactPath(name),
                                   hit.excerpt, hit.rule_id);
      finding.fix = FixFor(finding);
      findings->push_back(std::move(finding));
    }
    return;
  }
  if (!NameSaysSecret(name) || !ValueLooksReal(value)) return;
  Finding finding = MakeFinding(context, rule, layer, std::nullopt);
  finding.route = Route::kConfig;
  finding.detail = fmt::format("{} {}={}", where, context.scanner.RedactPath(name), Redact(value));
  finding.fix = FixFor(finding);
  findings->push_back(std::move(finding));
}

// The layer made by history step |step|, or -1 for an empty-layer step.
int LayerOfStep(const Analysis& analysis, int step) {
  for (const Layer& layer : analysis.layers)
    if (layer.history_index == step) return layer.index;
  return -1;
}

// The rule for a password typed into a step that |instruction| made: the
// value of an ENV, LABEL or ARG instruction is the ENV, LABEL or build-arg
// rule's; in any other step (RUN), the build-step rule's.
const char* RuleOfStep(const std::string& instruction) {
  if (instruction.starts_with("ENV ")) return "secret-in-env";
  if (instruction.starts_with("LABEL ")) return "secret-in-label";
  if (instruction.starts_with("ARG ")) return "secret-in-build-arg";
  return "secret-in-build-step";
}

// The value of a password typed into an argument of ENTRYPOINT or CMD.
std::string ValueOf(const ImageConfig& config, const ArgvSecret& secret) {
  const std::string& argument = (secret.in_cmd ? config.cmd : config.entrypoint)[secret.argument];
  return argument.substr(secret.secret.begin, secret.secret.end - secret.secret.begin);
}

// True when the config still holds NAME=VALUE that an ENV or LABEL
// instruction set, or a password typed into CMD or ENTRYPOINT that such a
// step set (|program|: FindArgvSecrets): CheckConfig reports it from there.
bool ConfigHolds(const ImageConfig& config, const std::vector<ArgvSecret>& program,
                 const std::string& instruction, const std::string& name,
                 const std::string& value) {
  bool cmd = instruction.starts_with("CMD ");
  if (cmd || instruction.starts_with("ENTRYPOINT ")) {
    return std::any_of(program.begin(), program.end(), [&](const ArgvSecret& secret) {
      return secret.in_cmd == cmd && ValueOf(config, secret) == value;
    });
  }
  if (instruction.starts_with("ENV "))
    return std::find(config.env.begin(), config.env.end(), name + "=" + value) != config.env.end();
  auto label = config.labels.find(name);
  return instruction.starts_with("LABEL ") && label != config.labels.end() &&
         label->second == value;
}

// True when a built-in pattern confirms |value| on its own (a GitHub
// token): its own rule reports it, under its own severity.
bool IsKnownToken(const ContentScanner& scanner, const std::string& value) {
  for (const ContentHit& hit : scanner.ScanText(value))
    if (FindRule(hit.rule_id) != nullptr) return true;
  return false;
}

// Findings of typed passwords per step, as the content scanner confirms at
// most 50 secrets per file: a step holding thousands is crafted, and one
// finding per password would bury the report. All of them are redacted.
constexpr size_t kMaxTypedFindingsPerStep = 50;

// One finding for each password typed into history step |index|
// (FindStepSecrets), except a known token, which the step's scan reports,
// and an ENV, LABEL, CMD or ENTRYPOINT value the config still holds
// (|program|: the passwords typed into the last two). Returns the
// passwords, known tokens left out.
std::vector<StepSecret> CheckTypedSecrets(const CheckContext& context,
                                          const std::vector<ArgvSecret>& program, size_t index,
                                          int layer, std::vector<Finding>* findings) {
  const ImageConfig& config = context.analysis.config;
  const HistoryStep& step = config.history[index];
  std::string instruction = DescribeStep(step.created_by);
  std::vector<StepSecret> typed = FindStepSecrets(step.created_by);
  std::erase_if(typed, [&](const StepSecret& secret) {
    return IsKnownToken(context.scanner,
                        step.created_by.substr(secret.begin, secret.end - secret.begin));
  });

  size_t reported = 0;
  for (const StepSecret& secret : typed) {
    std::string value = step.created_by.substr(secret.begin, secret.end - secret.begin);
    if (ConfigHolds(config, program, instruction, secret.name, value)) continue;
    if (reported++ == kMaxTypedFindingsPerStep) break;
    Finding finding = MakeFinding(context, RuleOfStep(instruction), layer, std::nullopt);
    finding.history_index = static_cast<int>(index);
    finding.created_by = step.created_by;
    if (finding.route != Route::kBase)
      finding.route = instruction.starts_with("RUN ") ? Route::kRun : Route::kConfig;
    finding.detail =
        fmt::format("history step {}, {}{}", index + 1, secret.passed_as, Redact(value));
    finding.fix = FixFor(finding);
    findings->push_back(std::move(finding));
  }
  return typed;
}

// True when a step of the history recorded a CMD (|cmd|) or ENTRYPOINT
// instruction.
bool HistoryRecords(const ImageConfig& config, bool cmd) {
  return std::any_of(config.history.begin(), config.history.end(), [cmd](const HistoryStep& step) {
    return DescribeStep(step.created_by).starts_with(cmd ? "CMD " : "ENTRYPOINT ");
  });
}

// One finding for each password typed into the config's ENTRYPOINT or
// CMD (|program|: FindArgvSecrets), its detail naming the instruction:
// "CMD, app --password Sec…(15 characters)". A known token there is its
// own rule's, as in a step: reported from the config when no step of the
// history recorded the instruction, and otherwise from that step's scan.
// TODO: a tool that edits the config after the build (crane mutate) may
// leave a CMD unlike the one its step recorded; a known token in that CMD
// is hidden but not reported.
void CheckProgramSecrets(const CheckContext& context, const std::vector<ArgvSecret>& program,
                         std::vector<Finding>* findings) {
  const ImageConfig& config = context.analysis.config;
  std::vector<ArgvSecret> typed = program;
  std::erase_if(typed, [&](const ArgvSecret& secret) {
    return IsKnownToken(context.scanner, ValueOf(config, secret));
  });
  auto add = [&](const std::string& rule, std::string detail) {
    Finding finding = MakeFinding(context, rule, -1, std::nullopt);
    finding.route = Route::kConfig;
    finding.detail = std::move(detail);
    finding.fix = FixFor(finding);
    findings->push_back(std::move(finding));
  };
  for (size_t i = 0; i < typed.size() && i < kMaxTypedFindingsPerStep; ++i)
    add("secret-in-build-step",
        fmt::format("{}, {}{}", typed[i].in_cmd ? "CMD" : "ENTRYPOINT", typed[i].secret.passed_as,
                    Redact(ValueOf(config, typed[i]))));

  // The passwords found above hidden, as for a step: the generic
  // assignment pattern would report them again.
  for (bool cmd : {false, true}) {
    if (HistoryRecords(config, cmd)) continue;
    const std::vector<std::string>& argv = cmd ? config.cmd : config.entrypoint;
    for (const std::string& argument : RedactArgvSecrets(argv, typed, cmd))
      for (const ContentHit& hit : context.scanner.ScanText(argument))
        add(hit.rule_id, fmt::format("{}: {}", cmd ? "CMD" : "ENTRYPOINT", hit.excerpt));
  }
}

// Calls |visit|(where, text, as_name) for each string of |config| (an
// ImageConfig, const or not) that is neither a value CheckPair judges
// (ENV, LABEL) nor a program (CMD, ENTRYPOINT), |where| naming it in a
// finding. |as_name|: the string is a name (WORKDIR, USER, a volume, a
// port), read as RedactPath and FindPathSecrets read a file's, one
// component at a time; else a command line (SHELL, ONBUILD, HEALTHCHECK),
// read as text. Names of ENV variables and LABEL keys are names too.
// TODO: a password typed into HEALTHCHECK, SHELL or ONBUILD (`mysqladmin
// ping -p…`) is found in the history step that set it, not here, where
// only the patterns are read: no report prints these, but every pull has
// them.
template <typename Config, typename Visit>
void ForEachConfigString(Config& config, Visit visit) {
  visit("os", config.os, true);
  visit("architecture", config.architecture, true);
  visit("variant", config.variant, true);
  visit("author", config.author, true);
  visit("USER", config.user, true);
  visit("WORKDIR", config.working_dir, true);
  visit("STOPSIGNAL", config.stop_signal, true);
  for (auto& volume : config.volumes) visit("VOLUME", volume, true);
  for (auto& port : config.exposed_ports) visit("EXPOSE", port, true);
  for (auto& word : config.shell) visit("SHELL", word, false);
  for (auto& instruction : config.on_build) visit("ONBUILD", instruction, false);
  for (auto& word : config.healthcheck) visit("HEALTHCHECK", word, false);
}

// True when a step of the history holds |secret|: that step's own finding
// names it, with the instruction that set it (WORKDIR /srv/ghp_…).
bool HistoryHolds(const ImageConfig& config, std::string_view secret) {
  return std::any_of(config.history.begin(), config.history.end(), [&](const HistoryStep& step) {
    return step.created_by.find(secret) != std::string::npos;
  });
}

// One finding for each secret in |text|, the string of the config that
// |where| names (|as_name|: ForEachConfigString), by the rule of the
// pattern that finds it. A secret that a step of the history holds is
// reported once, from that step, as a known token in CMD is.
void CheckConfigString(const CheckContext& context, const std::string& where, std::string_view text,
                       bool as_name, std::vector<Finding>* findings) {
  if (text.empty()) return;
  std::vector<ContentScanner::FoundSecret> secrets =
      as_name ? context.scanner.FindPathSecrets(text) : context.scanner.FindTextSecrets(text);
  for (const ContentScanner::FoundSecret& secret : secrets) {
    if (HistoryHolds(context.analysis.config, text.substr(secret.begin, secret.end - secret.begin)))
      continue;
    Finding finding = MakeFinding(context, secret.rule_id, -1, std::nullopt);
    finding.route = Route::kConfig;
    finding.detail = where + ": " + secret.excerpt;
    finding.fix = fmt::format(
        "the credential is in the image config's {}, which every pull has: take it out where the "
        "build sets it, and rotate the credential now",
        where);
    findings->push_back(std::move(finding));
  }
}

// The secrets in the strings of the config that no other check reads:
// ForEachConfigString's, the names of ENV variables and LABEL keys, and
// the history's comments.
void CheckConfigStrings(const CheckContext& context, std::vector<Finding>* findings) {
  const ImageConfig& config = context.analysis.config;
  ForEachConfigString(config, [&](const char* where, const std::string& text, bool as_name) {
    CheckConfigString(context, where, text, as_name, findings);
  });
  for (const std::string& variable : config.env)
    CheckConfigString(context, "ENV name", std::string_view(variable).substr(0, variable.find('=')),
                      true, findings);
  for (const auto& [key, value] : config.labels)
    CheckConfigString(context, "LABEL key", key, true, findings);
  for (size_t i = 0; i < config.history.size(); ++i)
    CheckConfigString(context, fmt::format("history step {} comment", i + 1),
                      config.history[i].comment, false, findings);
}

// The secrets in the image's reference (a docker archive's RepoTags, an
// OCI layout's ref name, the tag named on the command line) and in its
// other names in the file (the archive's other RepoTags): whoever pulls
// the image, lists a repository's tags or has the archive reads them.
// Shown as the config's findings are: the names are the image's, not a
// layer's.
void CheckReference(const CheckContext& context, std::vector<Finding>* findings) {
  const ImageSource& source = context.analysis.source;
  auto check = [&](const std::string& name, const char* what) {
    for (const ContentScanner::FoundSecret& secret : context.scanner.FindPathSecrets(name)) {
      Finding finding = MakeFinding(context, secret.rule_id, -1, std::nullopt);
      finding.route = Route::kConfig;
      finding.detail = std::string(what) + ": " + secret.excerpt;
      finding.fix =
          "the credential is in the image's tag or name, which every pull names: tag the image "
          "without it, delete that tag wherever it was pushed, and rotate the credential now";
      findings->push_back(std::move(finding));
    }
  };
  check(source.reference, "image reference");
  for (const std::string& other : source.other_references) check(other, "another tag of the image");
}

}  // namespace

void RedactImageConfig(const ContentScanner& scanner, Analysis* analysis, RuleResults* results) {
  ImageConfig& config = analysis->config;
  auto redact_pair = [&scanner](std::string* pair) {
    size_t equals = pair->find('=');
    if (equals == std::string::npos) {
      *pair = scanner.RedactText(*pair);
      return;
    }
    std::string name = pair->substr(0, equals), value = pair->substr(equals + 1);
    value =
        NameSaysSecret(name) && ValueLooksReal(value) ? Redact(value) : scanner.RedactText(value);
    *pair = scanner.RedactPath(name) + "=" + value;
  };

  // TODO: the legacy builder records ENV A="x y" as ENV A=x y, so only x
  // is hidden in that step.
  for (HistoryStep& step : config.history) {
    // The passwords typed into it, and the build arguments CheckPair
    // judges secret by their names.
    std::vector<StepSecret> secrets = FindStepSecrets(step.created_by);
    for (const BuildArg& arg : BuildArgs(step.created_by))
      if (NameSaysSecret(arg.name) && ValueLooksReal(arg.value))
        secrets.push_back(
            {arg.value_begin, arg.value_begin + arg.value.size(), arg.name + "=", arg.name});
    step.created_by = scanner.RedactText(RedactStepSecrets(step.created_by, std::move(secrets)));
    step.comment = scanner.RedactText(step.comment);
  }
  std::vector<ArgvSecret> program = FindArgvSecrets(config.entrypoint, config.cmd);
  config.cmd = RedactArgvSecrets(std::move(config.cmd), program, true);
  config.entrypoint = RedactArgvSecrets(std::move(config.entrypoint), program, false);
  for (std::string& item : config.cmd) item = scanner.RedactText(item);
  for (std::string& item : config.entrypoint) item = scanner.RedactText(item);
  for (std::string& variable : config.env) redact_pair(&variable);
  std::map<std::string, std::string> labels;
  for (const auto& [name, value] : config.labels)
    labels[scanner.RedactPath(name)] =
        NameSaysSecret(name) && ValueLooksReal(value) ? Redact(value) : scanner.RedactText(value);
  config.labels = std::move(labels);
  ForEachConfigString(config, [&scanner](const char*, std::string& text, bool as_name) {
    text = as_name ? scanner.RedactPath(text) : scanner.RedactText(text);
  });
  // The image's name too: a tag may spell a token (CheckReference). What
  // the user typed may name it, and the reports show that as well.
  ImageSource& source = analysis->source;
  source.input = scanner.RedactPath(source.input);
  source.reference = scanner.RedactPath(source.reference);

  if (results == nullptr) return;
  for (Finding& finding : results->findings)
    if (finding.history_index >= 0 &&
        finding.history_index < static_cast<int>(config.history.size()))
      finding.created_by = config.history[finding.history_index].created_by;
}

void CheckConfig(const CheckContext& context, std::vector<Finding>* findings) {
  const ImageConfig& config = context.analysis.config;

  for (const std::string& variable : config.env) {
    size_t equals = variable.find('=');
    if (equals == std::string::npos) continue;
    CheckPair(context, "secret-in-env", -1, variable.substr(0, equals), variable.substr(equals + 1),
              "ENV", findings);
  }
  for (const auto& [name, value] : config.labels)
    CheckPair(context, "secret-in-label", -1, name, value, "LABEL", findings);
  std::vector<ArgvSecret> program = FindArgvSecrets(config.entrypoint, config.cmd);
  CheckProgramSecrets(context, program, findings);
  CheckConfigStrings(context, findings);
  CheckReference(context, findings);

  for (size_t i = 0; i < config.history.size(); ++i) {
    const HistoryStep& step = config.history[i];
    int layer = LayerOfStep(context.analysis, static_cast<int>(i));
    std::string where = fmt::format("history step {}, build arg", i + 1);
    for (const BuildArg& arg : BuildArgs(step.created_by))
      CheckPair(context, "secret-in-build-arg", layer, arg.name, arg.value, where, findings);
    std::vector<StepSecret> typed = CheckTypedSecrets(context, program, i, layer, findings);

    // Known token formats anywhere in the step's command, with the
    // passwords found above hidden (the generic assignment pattern would
    // report them again) and the build arguments left to CheckPair.
    std::string command = RedactStepSecrets(step.created_by, typed);
    command.erase(0, CommandBegin(command));
    for (const ContentHit& hit : context.scanner.ScanText(command)) {
      Finding finding = MakeFinding(context, hit.rule_id, layer, std::nullopt);
      finding.history_index = static_cast<int>(i);
      finding.created_by = step.created_by;
      finding.route = Route::kConfig;
      finding.detail = fmt::format("history step {}: {}", i + 1, hit.excerpt);
      finding.fix = FixFor(finding);
      findings->push_back(std::move(finding));
    }
  }

  std::string user = config.user.substr(0, config.user.find(':'));
  if (user.empty() || user == "root" || user == "0") {
    Finding finding = MakeFinding(context, "runs-as-root", -1, std::nullopt);
    finding.detail =
        user.empty() ? "no USER is set" : "USER " + context.scanner.RedactPath(config.user);
    finding.fix = FixFor(finding);
    findings->push_back(std::move(finding));
  }
  if (!config.has_healthcheck) {
    Finding finding = MakeFinding(context, "no-healthcheck", -1, std::nullopt);
    finding.detail = "no HEALTHCHECK";
    finding.fix = FixFor(finding);
    findings->push_back(std::move(finding));
  }
}

}  // namespace strata
