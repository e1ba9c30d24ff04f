// strata: open container images and show what is really inside them.
#include <clocale>

#include "cli/cli.h"

int main(int argc, char** argv) {
  // Tar names are bytes; a UTF-8 locale lets libarchive hand PAX (UTF-8)
  // names through unchanged instead of failing to convert them.
  setlocale(LC_CTYPE, "C.UTF-8");
  return strata::RunCli(argc, argv);
}
