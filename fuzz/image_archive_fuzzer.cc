// Fuzzes the whole of `strata audit` short of printing: the input is an
// outer archive (a `docker save` or OCI archive tar), opened by path as
// the command line does, indexed, its manifest or index read, every layer
// read and merged (one thread) and every rule evaluated.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/error.h"
#include "model/analysis.h"
#include "rules/evaluate.h"
#include "rules/rule_config.h"
#include "source/image_source.h"

namespace {

const strata::RuleConfig& Config() {
  static const strata::RuleConfig config;
  return config;
}

const strata::ContentScanner& Scanner() {
  static const auto scanner = strata::MakeContentScanner(Config());
  return *scanner;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata;
  // A file in memory, named by path: OpenImage stats and opens it.
  int fd = memfd_create("image", MFD_CLOEXEC);
  if (fd < 0) return 0;
  for (size_t done = 0; done < size;) {
    ssize_t put = write(fd, data + done, size - done);
    if (put <= 0) break;
    done += static_cast<size_t>(put);
  }
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  try {
    OpenOptions open;
    open.platform = "linux/amd64";
    ImageSource source = OpenImage(path, open);
    AnalyzeOptions options;
    options.threads = 1;
    options.inspector = &Scanner();
    options.limits.max_layer_bytes = 64 << 20;
    Analysis analysis = Analyze(std::move(source), options);
    RuleResults results = EvaluateRules(analysis, Config(), Scanner(), "2026-01-01");
    RedactImageConfig(Scanner(), &analysis, &results);
  } catch (const Error&) {
  }
  close(fd);
  return 0;
}
