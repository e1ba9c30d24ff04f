#include "base/untrusted_json.h"

#include "base/error.h"

namespace strata {

namespace {

// The deepest nesting of [ and { outside strings.
int NestingDepth(const std::string& text) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"')
      in_string = true;
    else if (c == '[' || c == '{')
      deepest = std::max(deepest, ++depth);
    else if (c == ']' || c == '}')
      --depth;
    if (deepest > kMaxJsonDepth) break;
  }
  return deepest;
}

}  // namespace

nlohmann::json ParseUntrustedJson(const std::string& text, const std::string& what) {
  if (NestingDepth(text) > kMaxJsonDepth)
    Fail("{} nests deeper than {} levels; refusing to parse it", what, kMaxJsonDepth);
  nlohmann::json value = nlohmann::json::parse(text, nullptr, false);
  if (value.is_discarded()) Fail("{} is not valid JSON", what);
  return value;
}

}  // namespace strata
