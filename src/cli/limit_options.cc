#include "cli/limit_options.h"

#include <fmt/core.h>

#include <climits>
#include <cstdint>
#include <stdexcept>

#include "base/error.h"
#include "rules/rule_config.h"

namespace strata {

ReadLimits LimitFlags::Resolve() const {
  ReadLimits resolved = limits;
  if (!max_layer_bytes.empty())
    resolved.max_layer_bytes = ParseSize(max_layer_bytes, "--max-layer-bytes");
  if (!max_image_bytes.empty())
    resolved.max_image_bytes = ParseSize(max_image_bytes, "--max-image-bytes");
  return resolved;
}

namespace {

// Why |text| is not a whole number from |min| to |max|, or "". A number
// past |max|, even one past what 64 bits hold, is "too large" with the
// most there is (not "not a whole number", which it is); anything else
// gets |expected|, the range as the flag's users think of it.
std::string WholeNumberError(const std::string& text, long long min, long long max,
                             const std::string& expected) {
  std::string too_large = fmt::format("\"{}\" is too large: the most is {}", text, max);
  try {
    size_t used = 0;
    long long value = std::stoll(text, &used);
    if (used != text.size() || value < min) return expected;
    return value > max ? too_large : "";
  } catch (const std::out_of_range&) {
    size_t sign = text.find_first_not_of(" \t");
    bool negative = sign != std::string::npos && text[sign] == '-';
    bool digits = text.find_first_not_of("0123456789", sign + 1) == std::string::npos;
    return negative || !digits ? expected : too_large;
  } catch (...) {
    return expected;
  }
}

// CLI::PositiveNumber prints its range as 0 to DBL_MAX in full; this says
// what is meant. |max| is the most the flag's variable holds.
CLI::Validator AtLeastOneValidator(long long max) {
  auto check = [max](const std::string& text) {
    return WholeNumberError(text, 1, max, "\"" + text + "\" is not a whole number of at least 1");
  };
  return CLI::Validator(check, "N");
}

}  // namespace

CLI::Validator WholeNumberValidator(long long min, long long max) {
  auto check = [min, max](const std::string& text) {
    return WholeNumberError(
        text, min, max, fmt::format("\"{}\" is not a whole number from {} to {}", text, min, max));
  };
  return CLI::Validator(check, fmt::format("{}-{}", min, max));
}

CLI::Validator SizeValidator() {
  // CLI11 puts the flag's name before the message; ParseSize's own
  // prefix would name it twice.
  auto check = [](const std::string& text) -> std::string {
    try {
      ParseSize(text, "");
      return "";
    } catch (const Error& error) {
      std::string message = error.what();
      return message.starts_with(": ") ? message.substr(2) : message;
    }
  };
  return CLI::Validator(check, "SIZE");
}

CLI::Validator NotEmptyValidator(const std::string& what) {
  auto check = [what](const std::string& text) {
    return text.empty() ? "needs " + what + ", not an empty value" : std::string();
  };
  return CLI::Validator(check, "");
}

void AddLimitOptions(CLI::App* app, LimitFlags* flags) {
  app->add_option("--max-entries", flags->limits.max_entries,
                  "Limit: entries in the image (default 10000000)")
      ->check(AtLeastOneValidator(INT64_MAX));
  app->add_option("--max-implied-dirs", flags->limits.max_implied_dirs,
                  "Limit: directories that paths imply but no entry stores, beyond 8 per entry "
                  "(default 100000)")
      ->check(WholeNumberValidator(0, INT64_MAX).description("N"));
  app->add_option("--max-path-bytes", flags->limits.max_path_bytes,
                  "Limit: bytes of one path or link target (default 4096)")
      ->check(AtLeastOneValidator(INT64_MAX));
  app->add_option("--max-layer-bytes", flags->max_layer_bytes,
                  "Limit: uncompressed bytes of one layer (default 64GiB)")
      ->check(SizeValidator());
  app->add_option("--max-image-bytes", flags->max_image_bytes,
                  "Limit: uncompressed bytes of all layers together (default 256GiB)")
      ->check(SizeValidator());
  app->add_option_function<std::string>(
         "--max-json-bytes",
         [](const std::string& text) {
           JsonLimits json = CurrentJsonLimits();
           json.max_bytes = static_cast<size_t>(ParseSize(text, "--max-json-bytes"));
           SetJsonLimits(json);
         },
         "Limit: bytes of a manifest, index or config (default 16MiB)")
      ->check(SizeValidator());
  app->add_option_function<int>(
         "--max-json-depth",
         [](int depth) {
           JsonLimits json = CurrentJsonLimits();
           json.max_depth = depth;
           SetJsonLimits(json);
         },
         "Limit: nesting of a manifest, index or config (default 64)")
      ->check(AtLeastOneValidator(INT_MAX));
  app->add_option("--max-ratio", flags->limits.max_ratio,
                  "Limit: expansion of a layer past 1 GiB (default 1000)")
      ->check(AtLeastOneValidator(INT64_MAX));
}

}  // namespace strata
