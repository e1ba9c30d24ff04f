// Fuzzes the parser every manifest, index and config goes through: any
// bytes must give a value or a strata::Error, never a crash, a stack
// overflow or an exception of another kind.
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/error.h"
#include "base/untrusted_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    nlohmann::json value = strata::ParseUntrustedJson(text, "fuzz input");
    // What was accepted must survive the copies and dumps the readers make.
    nlohmann::json copy = value;
    (void)copy.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } catch (const strata::Error&) {
  }
  return 0;
}
