#include "base/units.h"

#include <fmt/core.h>

#include <ctime>

namespace strata {

std::string HumanBytes(int64_t bytes) {
  static const char* const kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  bool negative = bytes < 0;
  double value = negative ? -static_cast<double>(bytes) : static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1000 && unit < 5) {
    value /= 1000;
    ++unit;
  }
  std::string sign = negative ? "-" : "";
  if (unit == 0) return fmt::format("{}{} B", sign, static_cast<int64_t>(value));
  if (value < 10) return fmt::format("{}{:.1f} {}", sign, value, kUnits[unit]);
  return fmt::format("{}{:.0f} {}", sign, value, kUnits[unit]);
}

std::string Count(int64_t count, const std::string& noun) { return Count(count, noun, noun + "s"); }

std::string Count(int64_t count, const std::string& one, const std::string& many) {
  return fmt::format("{} {}", count, count == 1 ? one : many);
}

std::string IsoTime(int64_t seconds) {
  if (seconds == 0) return "";
  time_t t = static_cast<time_t>(seconds);
  struct tm utc;
  if (gmtime_r(&t, &utc) == nullptr) return "";
  // A tar header may hold any time; only four-digit years read as a date.
  if (utc.tm_year < 1000 - 1900 || utc.tm_year > 9999 - 1900) return "";
  char text[32];
  strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace strata
