// Fuzzes the image config parser and the history step descriptions made
// from it: a config is a JSON document anyone can write.
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/error.h"
#include "model/image_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    strata::ImageConfig config = strata::ParseImageConfig(text, "fuzz config");
    for (const strata::HistoryStep& step : config.history)
      (void)strata::DescribeStep(step.created_by);
    (void)strata::DescribeStep(text);
  } catch (const strata::Error&) {
  }
  return 0;
}
