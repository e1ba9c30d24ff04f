// Errors in strata.
//
// The core reports failures by throwing strata::Error with one line of text
// that names what is wrong (which file, which layer, which digest). The CLI
// catches it once, prints "strata: error: <what>" and exits with code 2.
// Nothing below the CLI prints.
#pragma once

#include <fmt/core.h>

#include <stdexcept>
#include <string>

namespace strata {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// A mistake in how strata was called that the option parser cannot see
// (two reports to standard output, a format the command lacks). The CLI
// adds where the command's help is, as for the parser's own errors.
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& what) : Error(what) {}
};

// Throws an Error whose message is formatted like fmt::format.
template <typename... Args>
[[noreturn]] void Fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

// Throws a UsageError whose message is formatted like fmt::format.
template <typename... Args>
[[noreturn]] void FailUsage(fmt::format_string<Args...> format, Args&&... args) {
  throw UsageError(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace strata
