// Fuzzes the image config parser, the history step descriptions made
// from it and the reading of its steps for typed passwords: a config is a
// JSON document anyone can write.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "base/error.h"
#include "model/image_config.h"
#include "rules/step_secrets.h"

namespace {

// Reads |step| for passwords; aborts unless they lie within it, in order
// and apart, as redacting them needs.
void ReadStep(const std::string& step) {
  std::vector<strata::StepSecret> secrets = strata::FindStepSecrets(step);
  size_t end = 0;
  for (const strata::StepSecret& secret : secrets) {
    if (secret.begin < end || secret.begin >= secret.end || secret.end > step.size()) abort();
    end = secret.end;
  }
  (void)strata::RedactStepSecrets(step, secrets);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    strata::ImageConfig config = strata::ParseImageConfig(text, "fuzz config");
    for (const strata::HistoryStep& step : config.history) {
      (void)strata::DescribeStep(step.created_by);
      ReadStep(step.created_by);
    }
    (void)strata::RedactArgvSecrets(config.cmd);
    (void)strata::DescribeStep(text);
    ReadStep(text);
  } catch (const strata::Error&) {
  }
  return 0;
}
