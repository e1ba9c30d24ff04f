// Fuzzes a docker archive from its manifest.json down: the manifest reader,
// then the config and every layer it names, read and merged as `strata
// audit` does (one thread, no rules). The input is part 0, manifest.json;
// further parts are blobs (see fuzz_support.h for how they refer to each
// other), so the seeds reach the layers with valid digests.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "fuzz_support.h"
#include "model/analysis.h"
#include "source/formats.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata;
  std::vector<std::string> parts =
      fuzz::SplitParts(std::string_view(reinterpret_cast<const char*>(data), size));
  auto store = std::make_shared<fuzz::MemoryStore>(fuzz::StoreFiles(parts, "manifest.json"));
  try {
    ImageSource source;
    try {
      source = ReadDockerArchive(store, "");
    } catch (const nlohmann::json::exception&) {
      return 0;  // OpenImage turns these into an Error about the manifest.
    }
    AnalyzeOptions options;
    options.threads = 1;
    options.limits.max_layer_bytes = 64 << 20;
    (void)Analyze(std::move(source), options);
  } catch (const Error&) {
  }
  return 0;
}
