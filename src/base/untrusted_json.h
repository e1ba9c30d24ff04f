// Parsing JSON that comes from an image: manifests, indexes, configs. Deep
// nesting is refused before parsing (nlohmann's parser and its copies
// recurse, so 100,000 nested brackets would overflow the stack), and
// invalid JSON is an Error naming the document.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "base/error.h"

namespace strata {

// Limits on every JSON document that comes from an image. They are set
// once, from the command line, before any image is opened, and read by
// every reader of image documents (archives, layouts, configs); one setting
// for the process keeps a new reader from forgetting to honour them.
struct JsonLimits {
  // Real manifests, indexes and configs are a few kB; 16 MiB leaves room
  // for images with thousands of history steps.
  size_t max_bytes = 16 << 20;
  // Real documents nest about six levels; 64 leaves room for labels and
  // annotations holding JSON of their own.
  int max_depth = 64;
};

// The limits in force; the defaults until SetJsonLimits is called.
const JsonLimits& CurrentJsonLimits();

// Call before any thread reads an image.
void SetJsonLimits(const JsonLimits& limits);

// Parses |text|; throws Error naming |what| when it is not valid JSON or
// nests deeper than CurrentJsonLimits().max_depth.
nlohmann::json ParseUntrustedJson(const std::string& text, const std::string& what);

// A field of an image's document that holds another type than it must
// ("\"Config\" is a number, not a string"); the reader that knows which
// document it came from names it.
class JsonFieldError : public Error {
 public:
  explicit JsonFieldError(const std::string& what) : Error(what) {}
};

// The string |object| holds at |key|: "" when |object| is no object, or
// the key is absent or null. Throws JsonFieldError naming the key when it
// holds anything else (nlohmann's own error names no field).
std::string TextField(const nlohmann::json& object, const char* key);

}  // namespace strata
