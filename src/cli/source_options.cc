#include "cli/source_options.h"

namespace strata {

void SourceFlags::Apply(OpenOptions* open, bool with_save) const {
  if (with_save) open->save = save;
  open->ca_file = ca_file;
  open->insecure = insecure;
}

void AddSourceOptions(CLI::App* app, SourceFlags* flags, bool with_save) {
  if (with_save)
    app->add_option("--save", flags->save,
                    "Also write the image as an OCI archive to FILE, to read it offline later");
  app->add_option("--ca-file", flags->ca_file,
                  "Registries: trust this CA bundle (PEM) instead of the system's");
  app->add_flag("--insecure", flags->insecure, "Registries: speak plain HTTP instead of HTTPS");
}

}  // namespace strata
