#include <fmt/core.h>

#include <algorithm>
#include <string_view>

#include "base/units.h"
#include "report/ci_reports.h"
#include "report/style.h"

namespace strata {

namespace {

// Text for a Markdown table cell, shown as written: names come from the
// image, and a file named "a_b*[x](https://…)" must not render as
// emphasis or a link in a pull-request comment. Pipes would end the cell,
// '<' and '&' start HTML; the rest of what makes Markdown inline (code,
// emphasis, strikethrough, links and images) is escaped with a backslash.
std::string Cell(const std::string& text) {
  std::string out;
  for (char c : Printable(text)) {
    if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else if (std::string_view("|\\`*_~[]!").find(c) != std::string_view::npos)
      out += std::string("\\") + c;
    else
      out += c;
  }
  return out;
}

// |text| as a code span: backslashes and entities mean nothing inside
// one, so it is fenced with more backticks than any run it holds; only
// pipes are escaped, which GitHub's tables take before the span.
std::string Code(const std::string& text) {
  std::string shown;
  size_t run = 0, longest = 0;
  for (char c : Printable(text)) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
    shown += c == '|' ? std::string("\\|") : std::string(1, c);
  }
  std::string fence(longest + 1, '`');
  // A span that starts or ends with a backtick needs a space between.
  std::string pad = !shown.empty() && (shown.front() == '`' || shown.back() == '`') ? " " : "";
  return fence + pad + shown + pad + fence;
}

// At most this many findings: a pull-request comment, not the full report.
constexpr int kMaxFindingRows = 15;

}  // namespace

std::string MarkdownReport(const CiReportInput& input) {
  const Analysis& analysis = input.analysis;
  std::string image =
      analysis.source.reference.empty() ? analysis.source.input : analysis.source.reference;
  const char* verdict = !input.verdict          ? "no policy evaluated"
                        : input.verdict->passed ? "✅ policy passed"
                                                : "❌ policy failed";
  // An Engine image says which Engine, as the table's Format line does:
  // two hosts may hold one name.
  std::string engine =
      analysis.source.endpoint.empty()
          ? ""
          : fmt::format(" ({} at {})", analysis.source.format, Code(analysis.source.endpoint));
  std::string md = fmt::format("### strata: {} — {}{}\n\n", verdict, Code(image), engine);
  md += fmt::format(
      "{}, {} stored; {} wasted ({} recoverable); {}.\n",
      Count(static_cast<int64_t>(analysis.layers.size()), "layer"), HumanBytes(analysis.blob_bytes),
      HumanBytes(analysis.wasted_bytes), HumanBytes(analysis.recoverable_bytes),
      input.policy ? "policy from " + Cell(input.policy->source) : std::string(kNoPolicyEvaluated));

  if (input.verdict) {
    md += "\n| check | result | measured | threshold |\n| --- | --- | --- | --- |\n";
    for (const PolicyCheck& check : input.verdict->checks)
      md += fmt::format("| {} | {} | {} ({}) | {} |\n", check.name, CheckStatusName(check.status),
                        Cell(check.measured), check.metrics, Cell(check.threshold));
  }

  int counts[5] = {};
  for (const Finding& finding : input.rules.findings)
    if (finding.accepted.empty()) ++counts[static_cast<int>(finding.severity)];
  if (!input.rules.evaluated) return md + "\n**Findings:** not evaluated (--no-rules)\n";
  md += fmt::format("\n**Findings:** {} critical, {} high, {} medium, {} low, {} info\n\n",
                    counts[4], counts[3], counts[2], counts[1], counts[0]);
  if (input.rules.findings.empty()) return md;

  md += "| severity | rule | where | layer | fix |\n| --- | --- | --- | --- | --- |\n";
  int rows = 0;
  for (const Finding& finding : input.rules.findings) {
    if (!finding.accepted.empty()) continue;
    if (rows++ >= kMaxFindingRows) break;
    std::string where =
        finding.has_path ? PathText(finding) + " " + finding.detail : finding.detail;
    std::string layer = finding.layer < 0
                            ? "config"
                            : fmt::format("{}{}", finding.layer + 1, finding.base ? " (base)" : "");
    if (finding.removed_by >= 0) layer += fmt::format(", removed in {}", finding.removed_by + 1);
    md += fmt::format("| {}{} | `{}` | {} | {} | {} |\n", SeverityName(finding.severity),
                      FailsBuild(finding, input) ? " ❌" : "", finding.rule_id, Cell(where), layer,
                      Cell(finding.fix));
  }
  int total = 0;
  for (const Finding& finding : input.rules.findings) total += finding.accepted.empty() ? 1 : 0;
  if (total > kMaxFindingRows)
    md += fmt::format("\n…and {} more in the full report.\n", total - kMaxFindingRows);

  std::string accepted;
  for (const Finding& finding : input.rules.findings)
    if (!finding.accepted.empty())
      accepted += fmt::format("| `{}` | {} | {} |\n", finding.rule_id,
                              Cell(finding.has_path ? PathText(finding) : finding.detail),
                              Cell(finding.accepted));
  if (!accepted.empty())
    md += "\n**Accepted:**\n\n| rule | where | reason |\n| --- | --- | --- |\n" + accepted;
  return md;
}

}  // namespace strata
