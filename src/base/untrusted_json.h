// Parsing JSON that comes from an image: manifests, indexes, configs. Deep
// nesting is refused before parsing (nlohmann's parser and its copies
// recurse, so 100,000 nested brackets would overflow the stack), and
// invalid JSON is an Error naming the document.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace strata {

// Real image documents nest about six levels; 64 leaves room for labels
// and annotations holding JSON of their own.
constexpr int kMaxJsonDepth = 64;

// Parses |text|; throws Error naming |what| when it is not valid JSON or
// nests deeper than kMaxJsonDepth.
nlohmann::json ParseUntrustedJson(const std::string& text, const std::string& what);

}  // namespace strata
