// The flags that say how to reach an image and whether to keep it: --save
// (an OCI archive of what was read), and for registries --ca-file and
// --insecure. Every command that opens an image takes them.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "source/image_source.h"

namespace strata {

struct SourceFlags {
  std::string save;
  std::string ca_file;
  bool insecure = false;

  // Copies the flags into |open|; --save only when |with_save| (an image
  // named by --base, or the second of diff's, is never the one saved).
  void Apply(OpenOptions* open, bool with_save = true) const;
};

// A CLI11 check for --platform: os/arch[/variant], each part a word of
// letters, digits, '.', '_' or '-' ("linux/amd64", "linux/arm64/v8").
CLI::Validator PlatformValidator();

// Registers the flags on |app|; |with_save| = false leaves --save out.
void AddSourceOptions(CLI::App* app, SourceFlags* flags, bool with_save = true);

}  // namespace strata
