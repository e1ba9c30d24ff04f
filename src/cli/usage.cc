#include "cli/usage.h"

#include <fmt/core.h>

#include <algorithm>
#include <string_view>

#include "base/edit_distance.h"
#include "base/error.h"

namespace strata {

namespace {

// "a", "a and b", "a, b and c".
std::string JoinAsList(const std::vector<std::string>& items) {
  std::string text;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) text += i + 1 == items.size() ? " and " : ", ";
    text += items[i];
  }
  return text;
}

// Whether |word| is spelled as an option: "-" alone is standard input.
bool LooksLikeOption(const std::string& word) { return word.size() > 1 && word[0] == '-'; }

}  // namespace

std::string NearestLongOption(const CLI::App& command, const std::string& name) {
  std::string closest;
  size_t best = 3;
  for (const CLI::Option* option : command.get_options()) {
    for (const std::string& long_name : option->get_lnames()) {
      size_t distance = EditDistance(name, "--" + long_name);
      if (distance < best) {
        best = distance;
        closest = "--" + long_name;
      }
    }
  }
  return closest;
}

// Why |command| lacks |option| when other commands take it and a user who
// passes it to every command would wonder; "" otherwise.
std::string WhyNotHere(const std::string& command, const std::string& option) {
  bool cache = option == "--no-cache" || option == "--cache-dir" || option == "--cache-max-size" ||
               option == "--no-result-cache";
  if (command == "strata export" && cache)
    return " (export reads every layer's bytes again and uses no cache)";
  return "";
}

std::string UnknownOptionsMessage(const CLI::App& command, const std::string& name,
                                  const std::vector<std::string>& words) {
  std::vector<std::string> unknown;
  for (const std::string& word : words) {
    if (word == "--") break;  // What follows is no option, however spelled.
    if (!LooksLikeOption(word)) continue;
    std::string option = word.substr(0, word.find('='));
    if (command.get_option_no_throw(option) != nullptr) continue;
    std::string nearest = option.starts_with("--") ? NearestLongOption(command, option) : "";
    std::string why = WhyNotHere(name, option);
    if (!why.empty()) nearest.clear();
    unknown.push_back(option + why + (nearest.empty() ? "" : " (did you mean " + nearest + "?)"));
  }
  if (unknown.empty()) return "";
  return fmt::format("{} has no option{} {}; see {} --help", name, unknown.size() > 1 ? "s" : "",
                     JoinAsList(unknown), name);
}

std::vector<std::string> SplitEmptyValues(const CLI::App& command, std::vector<std::string> words,
                                          bool options_first) {
  auto takes_value = [&command](const std::string& name) {
    const CLI::Option* option = command.get_option_no_throw(name);
    return option != nullptr && option->get_items_expected_min() > 0;
  };

  std::vector<std::string> split;
  for (size_t i = 0; i < words.size(); ++i) {
    std::string& word = words[i];
    bool option = word.starts_with("-") && word != "-";
    if (word == "--" || (options_first && !option)) {
      split.insert(split.end(), std::make_move_iterator(words.begin() + static_cast<long>(i)),
                   std::make_move_iterator(words.end()));
      break;
    }
    std::string name = word.substr(0, word.size() - 1);
    if (word.size() > 3 && word.starts_with("--") && word.back() == '=' && takes_value(name)) {
      split.push_back(std::move(name));
      split.emplace_back();
      continue;
    }
    // "--top 5", "-o --odd=": the next word is this option's value.
    bool value_follows = option && word.find('=') == std::string::npos && takes_value(word);
    split.push_back(std::move(word));
    if (value_follows && i + 1 < words.size()) split.push_back(std::move(words[++i]));
  }
  return split;
}

std::string CountMessage(const std::string& what) {
  // CLI11 says "--top: At Most 1 required but received 2" and "--layer: 1
  // required INT:1-1073741824 missing": the option, then its own terms.
  size_t colon = what.find(": ");
  if (colon == std::string::npos || !what.starts_with("-")) return "";
  std::string option = what.substr(0, colon);
  std::string_view rest = std::string_view(what).substr(colon + 2);
  if (rest.ends_with(" missing")) return option + " needs a value";
  if (rest.starts_with("At Most 1 required but received "))
    return fmt::format("{} is given {} times; it takes one value", option,
                       rest.substr(rest.rfind(' ') + 1));
  return "";
}

void CheckFormat(const std::string& command, const std::string& format,
                 const std::vector<std::string>& formats) {
  if (std::find(formats.begin(), formats.end(), format) != formats.end()) return;
  std::string names;
  for (const std::string& name : formats) names += (names.empty() ? "" : ", ") + name;
  FailUsage("{} has no format \"{}\" (it has {})", command, format, names);
}

std::string CommandUsageMessage(const CLI::App& command, const std::string& name,
                                const CLI::ParseError& error) {
  // CLI11 keeps the words it could not place in the order given. Those
  // after a "--" that came when the command's arguments were all taken
  // are left with its parent, and are no options.
  std::vector<std::string> left = command.remaining();
  std::string unknown = UnknownOptionsMessage(command, name, left);
  if (!unknown.empty()) return unknown;
  std::erase(left, "--");  // Said by the user to end the options; no argument.
  if (command.get_parent() != nullptr)
    for (const std::string& word : command.get_parent()->remaining()) left.push_back(word);
  if (dynamic_cast<const CLI::ExtrasError*>(&error) != nullptr && !left.empty()) {
    for (std::string& word : left) word = "'" + word + "'";
    return fmt::format("{}: unexpected argument{} {}; see {} --help", name,
                       left.size() > 1 ? "s" : "", JoinAsList(left), name);
  }
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&error) != nullptr) {
    std::string counted = CountMessage(error.what());
    if (!counted.empty()) return fmt::format("{} (see {} --help)", counted, name);
  }
  return fmt::format("{} (see {} --help)", error.what(), name);
}

}  // namespace strata
