#include "cli/source_options.h"

#include <algorithm>
#include <cctype>
#include <string_view>

#include "cli/limit_options.h"

namespace strata {

void SourceFlags::Apply(OpenOptions* open, bool with_save) const {
  if (with_save) open->save = save;
  open->ca_file = ca_file;
  open->insecure = insecure;
}

CLI::Validator PlatformValidator() {
  auto check = [](const std::string& text) -> std::string {
    if (text.empty()) return "";  // As if not given: the host's (scripts pass "$PLATFORM").
    size_t parts = 0;
    bool valid = true;
    for (size_t start = 0; start <= text.size(); ++parts) {
      size_t end = std::min(text.find('/', start), text.size());
      std::string_view part = std::string_view(text).substr(start, end - start);
      valid &= !part.empty() && std::all_of(part.begin(), part.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
      });
      start = end + 1;
    }
    if (valid && (parts == 2 || parts == 3)) return "";
    return "\"" + text + "\" is not a platform: expected os/arch[/variant], like linux/amd64 or " +
           "linux/arm64/v8";
  };
  return CLI::Validator(check, "os/arch[/variant]");
}

void AddSourceOptions(CLI::App* app, SourceFlags* flags, bool with_save) {
  if (with_save)
    app->add_option("--save", flags->save,
                    "Also write the image as an OCI archive to FILE, to read it offline later "
                    "(an existing FILE is replaced, as with -o)")
        ->check(NotEmptyValidator("a file name"));
  app->add_option("--ca-file", flags->ca_file,
                  "Registries: trust this CA bundle (PEM) instead of the system's")
      ->check(NotEmptyValidator("a file name"));
  app->add_flag("--insecure", flags->insecure, "Registries: speak plain HTTP instead of HTTPS");
}

}  // namespace strata
