#include <fmt/core.h>

#include "report/ci_reports.h"
#include "report/style.h"

namespace strata {

namespace {

// XML text: markup characters escaped, control characters and invalid
// UTF-8 (which XML 1.0 cannot carry) written as \xNN.
std::string Xml(const std::string& text) {
  std::string out;
  // Keep line breaks: CI servers show the body of a failure as text.
  std::string printable;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    printable += Printable(text.substr(start, end - start));
    if (end < text.size()) printable += '\n';
    start = end + 1;
  }
  for (char c : printable) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string FindingText(const Analysis& analysis, const Finding& finding) {
  std::string text = fmt::format("{} ({})\n", finding.title, SeverityName(finding.severity));
  if (finding.has_path) text += "path: " + PathText(finding) + "\n";
  if (!finding.detail.empty()) text += "detail: " + finding.detail + "\n";
  if (finding.layer >= 0) {
    text += fmt::format("layer: {} {}\n", finding.layer + 1,
                        analysis.layers[finding.layer].contents.blob_digest);
    text += "created by: " + finding.created_by + "\n";
  }
  if (finding.removed_by >= 0)
    text += fmt::format("{} in layer {}, still stored\n",
                        finding.overwritten ? "replaced" : "removed", finding.removed_by + 1);
  return text + "fix: " + finding.fix + "\n";
}

// The test case of one policy check; counts it in |failures| or |skipped|.
std::string CheckCase(const PolicyCheck& check, int* failures, int* skipped) {
  std::string text = fmt::format(
      "    <testcase classname=\"strata.policy\" name=\"{}\" time=\"0\">\n", Xml(check.name));
  std::string message = fmt::format("{} measured {} ({} figures), threshold {}", check.name,
                                    check.measured, check.metrics, check.threshold);
  if (check.status == CheckStatus::kFail) {
    ++*failures;
    text += fmt::format("      <failure type=\"policy\" message=\"{}\">{}</failure>\n",
                        Xml(message), Xml(message));
  } else if (check.status == CheckStatus::kSkip) {
    ++*skipped;
    std::string why = check.threshold == "disabled" ? check.name + " is disabled"
                                                    : check.name + ": " + check.threshold;
    text += fmt::format("      <skipped message=\"{}\"/>\n", Xml(why));
  } else {
    text += fmt::format("      <system-out>{}</system-out>\n", Xml(message));
  }
  return text + "    </testcase>\n";
}

// The suite's properties: the Engine an image came from (two hosts may
// hold one name), or "" for an image from a file or a registry.
std::string SuiteProperties(const ImageSource& source) {
  if (source.endpoint.empty()) return "";
  return fmt::format(
      "    <properties>\n      <property name=\"endpoint\" value=\"{}\"/>\n    </properties>\n",
      Xml(source.endpoint));
}

}  // namespace

std::string JunitReport(const CiReportInput& input) {
  const Analysis& analysis = input.analysis;
  std::string image =
      analysis.source.reference.empty() ? analysis.source.input : analysis.source.reference;

  std::string policy_cases;
  int policy_failures = 0, policy_skipped = 0;
  size_t policy_tests = 1;
  if (input.verdict) {
    policy_tests = input.verdict->checks.size();
    for (const PolicyCheck& check : input.verdict->checks)
      policy_cases += CheckCase(check, &policy_failures, &policy_skipped);
  } else {
    // A skipped case rather than none: a CI server's tests view shows it,
    // so a run without failures is not read as an image that passed.
    policy_skipped = 1;
    policy_cases = fmt::format(
        "    <testcase classname=\"strata.policy\" name=\"policy\" time=\"0\">\n"
        "      <skipped message=\"{}\"/>\n    </testcase>\n",
        Xml(kNoPolicyEvaluated));
  }

  std::string finding_cases;
  int finding_failures = 0, finding_skipped = 0;
  for (const Finding& finding : input.rules.findings) {
    std::string name = finding.has_path ? PathText(finding) : finding.detail;
    finding_cases +=
        fmt::format("    <testcase classname=\"strata.findings.{}\" name=\"{}\" time=\"0\">\n",
                    Xml(finding.rule_id), Xml(name));
    std::string text = FindingText(analysis, finding);
    if (!finding.accepted.empty()) {
      ++finding_skipped;
      finding_cases +=
          fmt::format("      <skipped message=\"{}\"/>\n", Xml("accepted: " + finding.accepted));
    } else if (FailsBuild(finding, input)) {
      ++finding_failures;
      finding_cases +=
          fmt::format("      <failure type=\"{}\" message=\"{}\">{}</failure>\n",
                      SeverityName(finding.severity), Xml(finding.title + ": " + name), Xml(text));
    } else {
      finding_cases += fmt::format("      <system-out>{}</system-out>\n", Xml(text));
    }
    finding_cases += "    </testcase>\n";
  }

  size_t finding_tests = input.rules.findings.size();
  std::string properties = SuiteProperties(analysis.source);
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  xml += fmt::format(
      "<testsuites name=\"strata\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" "
      "time=\"0\">\n",
      policy_tests + finding_tests, policy_failures + finding_failures,
      policy_skipped + finding_skipped);
  xml += fmt::format(
      "  <testsuite name=\"strata policy: {}\" tests=\"{}\" failures=\"{}\" errors=\"0\" "
      "skipped=\"{}\" time=\"0\">\n",
      Xml(image), policy_tests, policy_failures, policy_skipped);
  xml += properties + policy_cases + "  </testsuite>\n";
  xml += fmt::format(
      "  <testsuite name=\"strata findings: {}\" tests=\"{}\" failures=\"{}\" errors=\"0\" "
      "skipped=\"{}\" time=\"0\">\n",
      Xml(image), finding_tests, finding_failures, finding_skipped);
  xml += properties + finding_cases + "  </testsuite>\n</testsuites>\n";
  return xml;
}

}  // namespace strata
