#include "base/untrusted_json.h"

#include "base/error.h"

namespace strata {

namespace {

JsonLimits current_limits;

// The deepest nesting of [ and { outside strings.
int NestingDepth(const std::string& text, int limit) {
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
    if (deepest > limit) break;
  }
  return deepest;
}

}  // namespace

const JsonLimits& CurrentJsonLimits() { return current_limits; }

void SetJsonLimits(const JsonLimits& limits) { current_limits = limits; }

nlohmann::json ParseUntrustedJson(const std::string& text, const std::string& what) {
  int limit = current_limits.max_depth;
  if (NestingDepth(text, limit) > limit)
    Fail("{} nests deeper than {} levels; raise --max-json-depth to read it", what, limit);
  nlohmann::json value = nlohmann::json::parse(text, nullptr, false);
  if (value.is_discarded()) Fail("{} is not valid JSON", what);
  return value;
}

std::string TextField(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  const char* type = it->is_number() ? "a number"
                     : it->is_boolean() ? "true or false"
                     : it->is_array()   ? "a list"
                                        : "an object";
  throw JsonFieldError(fmt::format("\"{}\" is {}, not a string", key, type));
}

}  // namespace strata
