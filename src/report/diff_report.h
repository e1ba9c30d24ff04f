// `strata diff A B`: the comparison of two images (model/image_diff.h) as
// a table people read and as JSON (schema strata.diff/v1, doc/diff.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "model/image_diff.h"
#include "report/style.h"

namespace strata {

inline constexpr const char* kDiffSchema = "strata.diff/v1";

struct DiffTextOptions {
  int top = 10;  // Rows per list: directories, and added, removed, changed files.
};

// Sections: the two images and the net change, Layers, Size by directory,
// Files (added, removed, changed; largest first), and Findings when they
// were compared. Names are made printable; colour as |style| says.
std::string DiffText(const ImageDiff& diff, const Style& style, const DiffTextOptions& options);

// The whole diff, every list complete; dump it with DumpJson.
nlohmann::json DiffJson(const ImageDiff& diff);

}  // namespace strata
