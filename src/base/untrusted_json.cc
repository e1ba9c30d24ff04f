#include "base/untrusted_json.h"

#include <fmt/core.h>

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

// What is wrong, in nlohmann's words without its codes or the bytes it
// read ("ill-formed UTF-8 byte at byte 57"): those may be anything the
// document holds.
std::string ParseErrorReason(const nlohmann::json::parse_error& error) {
  std::string message = error.what();
  size_t start = message.rfind(" - ");
  start = start == std::string::npos ? message.find(": ") : start + 1;
  std::string reason = start == std::string::npos ? "" : message.substr(start + 2);
  reason = reason.substr(0, reason.find(';'));
  // Its own kind first ("invalid string: ill-formed UTF-8 byte"): the
  // kind alone says less than the detail.
  if (size_t colon = reason.find(": "); colon != std::string::npos) reason.erase(0, colon + 2);
  if (reason.empty()) reason = "unreadable";
  return fmt::format("{} at byte {}", reason, error.byte);
}

}  // namespace

const JsonLimits& CurrentJsonLimits() { return current_limits; }

void SetJsonLimits(const JsonLimits& limits) { current_limits = limits; }

nlohmann::json ParseUntrustedJson(const std::string& text, const std::string& what) {
  int limit = current_limits.max_depth;
  if (NestingDepth(text, limit) > limit)
    Fail("{} nests deeper than {} levels; raise --max-json-depth to read it", what, limit);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& error) {
    Fail("{} is not valid JSON ({})", what, ParseErrorReason(error));
  } catch (const nlohmann::json::exception& error) {
    // A number past what a double holds (1e999) is out_of_range, not a
    // parse error; its text quotes the number, which may be long.
    Fail("{} is not valid JSON ({})", what,
         error.id == 406 ? "a number too large to hold" : "unreadable");
  }
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
