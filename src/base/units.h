// Human-readable sizes and times for reports.
#pragma once

#include <cstdint>
#include <string>

namespace strata {

// "0 B", "512 B", "1.5 kB", "23 MB": decimal units, as docker and dive print.
std::string HumanBytes(int64_t bytes);

// "1 file", "3 files": |count| and |noun|, plural unless |count| is 1.
std::string Count(int64_t count, const std::string& noun);

// "1 entry", "3 entries": the same for a noun whose plural is not |noun| + "s".
std::string Count(int64_t count, const std::string& one, const std::string& many);

// Seconds since the epoch as "2024-01-02T03:04:05Z"; empty for 0 and for
// a time outside the years 1000 to 9999.
std::string IsoTime(int64_t seconds);

}  // namespace strata
