// Where a finding came from: the base image or the application's own
// steps, and by which route (COPY/ADD, RUN); and the fix that fits.
#pragma once

#include <string>
#include <vector>

#include "model/analysis.h"
#include "rules/finding.h"

namespace strata {

struct BaseLayers {
  int count = 0;        // Layers [0, count) belong to the base image.
  std::string reason;   // How that was decided, for the report.
  std::string warning;  // What the user should know of it ("" for nothing).
};

// With |base_diff_ids| (from --base, the image named |base_name|), the base
// is the longest common prefix of diff_ids. Without, a heuristic: the steps
// before the largest gap in the history's creation times (a base is built
// long before the app), else a first layer that is a root filesystem
// import ("ADD file:… in /" or a step with no command). A --base image
// that shares no first layer with the image falls back to the heuristic,
// with a warning.
BaseLayers DetectBaseLayers(const Analysis& analysis, const std::vector<std::string>& base_diff_ids,
                            const std::string& base_name = "");

// The route of layer |layer| (0-based); |base| says which layers are base.
Route RouteOfLayer(const Analysis& analysis, int layer, const BaseLayers& base);

// The destination of the COPY/ADD step |history_index|, made absolute with
// the WORKDIR steps before it ("COPY . ." after "WORKDIR /app" is "/app");
// "" when the step is not a COPY or ADD.
std::string CopyDestination(const Analysis& analysis, int history_index);

// The fix for |finding|, from its rule and route. |extra| carries a
// rule-specific hint (the cache's own cleanup command, the cleanup step).
// A custom content rule's fix is a plain one: remove the text, or accept it.
std::string FixFor(const Finding& finding, const std::string& extra = "");

}  // namespace strata
