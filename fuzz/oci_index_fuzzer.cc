// Fuzzes an OCI layout from its index.json down: nested indexes, platform
// and attestation choice, the manifest, the config and the layers, read
// and merged as `strata audit` does (one thread, no rules). The input is
// part 0, index.json; further parts are blobs (see fuzz_support.h), so
// the seeds reach the manifest and layers with valid digests.
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
  auto store = std::make_shared<fuzz::MemoryStore>(fuzz::StoreFiles(parts, "index.json"));
  try {
    ImageSource source;
    try {
      source = ReadOciLayout(store, "", "linux/amd64");
    } catch (const nlohmann::json::exception&) {
      return 0;  // OpenImage turns these into an Error about the index.
    }
    AnalyzeOptions options;
    options.threads = 1;
    options.limits.max_layer_bytes = 64 << 20;
    (void)Analyze(std::move(source), options);
  } catch (const Error&) {
  }
  return 0;
}
