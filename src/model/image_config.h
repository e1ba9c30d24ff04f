// The image config: the build's record of itself (platform, runtime
// settings, the diff_ids of its layers, the history of its build steps).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace strata {

struct HistoryStep {
  std::string created_by;  // As stored, e.g. "/bin/sh -c #(nop)  ENV A=b".
  std::string created;     // RFC 3339 text as stored; "" when absent.
  std::string comment;
  std::string author;
  bool empty_layer = false;
};

struct ImageConfig {
  std::string architecture;
  std::string os;
  std::string variant;
  std::string created;
  std::string author;
  std::string user;
  std::string working_dir;
  std::vector<std::string> env;
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> exposed_ports;
  std::vector<std::string> volumes;
  std::map<std::string, std::string> labels;
  std::string stop_signal;
  std::vector<std::string> shell;        // SHELL: the shell RUN and CMD's shell form run with.
  std::vector<std::string> on_build;     // ONBUILD: instructions a later build runs.
  std::vector<std::string> healthcheck;  // Its test: {"CMD-SHELL", "curl …"}, {"NONE"}.
  bool has_healthcheck = false;          // A HEALTHCHECK other than NONE.
  std::vector<std::string> diff_ids;
  std::vector<HistoryStep> history;
};

// Parses config JSON. Throws Error naming |what| when it is not JSON, has
// no rootfs.diff_ids list, or a field strata reads is of the wrong type
// (naming the field) or a time that is not RFC 3339. Unknown fields are
// fine, and so are missing optional ones: null counts as missing.
ImageConfig ParseImageConfig(const std::string& json_text, const std::string& what);

// The Dockerfile-like form of a history step: "RUN apt-get update",
// "ENV A=b", "COPY file:ab12… in /app". Strips the "/bin/sh -c #(nop)"
// noise of the legacy builder and buildkit's "|2 ARG=… " prefixes.
std::string DescribeStep(const std::string& created_by);

}  // namespace strata
