// The ncurses face of the explorer: draws an Explorer, turns keys and mouse
// events into its calls, and runs saves on a worker. Draws only the rows
// that fit the window, so the cost of a frame follows the window's size,
// never the image's.
#pragma once

#include <string>

#include "layer/limits.h"
#include "source/image_source.h"
#include "tui/explorer.h"

namespace strata {

// The minimum window the layout needs; smaller ones get a message.
constexpr int kMinColumns = 60;
constexpr int kMinRows = 14;

// Takes over the terminal (stdin and stdout must be one) until the person
// quits. |title| names the image; |source| serves saves. |notice|, already
// printable, fills the status line until something else is said there.
void RunExplorerScreen(Explorer* explorer, const ImageSource& source, const std::string& title,
                       const ReadLimits& limits, const std::string& notice = "");

}  // namespace strata
