// Usage errors of a command's own line: options it does not take and
// words left over, named in the order given and pointing to the command's
// own help (`strata ls --help`), where CLI11's message lists them in
// reverse (the commands parse their arguments reversed) and points to
// `strata --help`.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace strata {

// |command|'s long option nearest |name| ("--layr": "--layer"), at most
// two edits away; "" if none.
std::string NearestLongOption(const CLI::App& command, const std::string& name);

// One line naming the words of |words| that look like options |command|
// does not take (`--threads`, `--threads=1`, `-Z`), in the order given,
// each with the nearest option it has, and pointing to `|name| --help`
// (|name| as the user types it: "strata ls"). "" when none of |words| is
// such an option.
std::string UnknownOptionsMessage(const CLI::App& command, const std::string& name,
                                  const std::vector<std::string>& words);

// CLI11 reads "--name=" (an empty value after "=", as "--cache-dir=$DIR"
// gives with DIR unset) as "--name" alone and takes the next word for its
// value, often IMAGE. |words| (a command's, after its name) with each such
// word naming an option of |command| that takes a value made "--name" and
// "", so the option refuses the empty value (or, for --platform, reads it
// as the default) as it does "--name ''". Words after "--", and after the
// first operand when |options_first| (find's tests follow IMAGE), are kept.
std::vector<std::string> SplitEmptyValues(const CLI::App& command,
                                          std::vector<std::string> words, bool options_first);

// CLI11's message for an option given the wrong count of values, said
// plainly ("--top needs a value", "--top is given 2 times; it takes one
// value"); "" when |what| is not one it knows.
std::string CountMessage(const std::string& what);

// Throws UsageError unless |format| is one of |formats|, naming them all in
// the words every command uses: `rules has no format "sarif" (it has
// table, json)`. |command| is the command's name ("rules").
void CheckFormat(const std::string& command, const std::string& format,
                 const std::vector<std::string>& formats);

// The message for |error|, which CLI11 threw while parsing |command|
// (|name|: "strata ls"): its unknown options when it was given any (a
// value given to one may have been taken for IMAGE, so they come first),
// else the words left over, else CLI11's message; each pointing to
// `|name| --help`.
std::string CommandUsageMessage(const CLI::App& command, const std::string& name,
                                const CLI::ParseError& error);

}  // namespace strata
