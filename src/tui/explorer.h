// The explorer's whole screen as data: the layers pane, the file tree of
// the selected layer, the details of the entry under the cursor, and the
// waste and findings lists that jump into the tree. The ncurses screen
// (screen.h) draws it and turns keys into these calls; tests make the calls
// directly. Single-threaded: the UI thread owns it.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "model/analysis.h"
#include "rules/finding.h"
#include "tui/list_cursor.h"
#include "tui/path_history.h"
#include "tui/tree_view.h"

namespace strata {

enum class ExplorerView { kTree, kWaste, kFindings };
enum class ExplorerFocus { kLayers, kTree };

struct LayerLine {
  int index;         // 0-based; shown + 1.
  int64_t size;      // Content bytes the layer stores.
  std::string step;  // The build step (already redacted), one line.
};

// What the save key writes: the file under the cursor as stored in a layer.
struct SaveTarget {
  std::string path;  // Where |layer| stores it (an image path, no leading "/").
  int layer = -1;    // The layer storing the version shown.
  bool secret = false;  // A secret rule's finding names it: saved 0600.
};

class Explorer {
 public:
  // |analysis| must outlive the explorer; |findings| are the rules' results.
  Explorer(const Analysis& analysis, std::vector<Finding> findings);

  const std::vector<LayerLine>& layers() const { return layers_; }
  ListCursor& layer_cursor() { return layer_cursor_; }
  int layer() const { return tree_.layer(); }
  // Selects layer |index| (clamped) and shows its filesystem.
  void SelectLayer(int index);
  void MoveLayer(long delta);

  TreeView& tree() { return tree_; }

  ExplorerView view() const { return view_; }
  void SetView(ExplorerView view) { view_ = view; }
  ExplorerFocus focus() const { return focus_; }
  void SetFocus(ExplorerFocus focus) { focus_ = focus; }

  const std::vector<WasteItem>& waste() const { return analysis_.waste; }
  const Analysis& analysis() const { return analysis_; }
  const std::vector<Finding>& findings() const { return findings_; }
  ListCursor& waste_cursor() { return waste_cursor_; }
  ListCursor& findings_cursor() { return findings_cursor_; }

  // Shows |path| at |layer| in the tree view, clearing filters that hide
  // it. Returns false when the path is not in that layer's filesystem.
  bool Jump(int layer, const std::string& path);
  // Jumps to the waste item or finding under the list's cursor.
  bool OpenSelected();

  // How names, paths and link targets from the image are shown: a file
  // may be named after a secret, and the screen shows it redacted, made
  // printable. As stored (printable) until set.
  void set_shown(std::function<std::string(std::string_view)> shown) { shown_ = std::move(shown); }
  std::string Shown(std::string_view text) const;

  // Lines describing the entry under the tree cursor (empty when none):
  // path, type, mode, owner, size, link target, the layers that touched
  // it, and findings about it. Names from the image are made printable.
  std::vector<std::string> Details();

  // The file under the cursor, when it is one whose bytes can be saved.
  bool SaveTargetAtCursor(SaveTarget* target);

 private:
  const LayerEntry* FindingEntry(const Finding& finding) const;

  const Analysis& analysis_;
  std::vector<Finding> findings_;
  PathHistory history_;
  TreeView tree_;
  std::vector<LayerLine> layers_;
  ListCursor layer_cursor_, waste_cursor_, findings_cursor_;
  ExplorerView view_ = ExplorerView::kTree;
  ExplorerFocus focus_ = ExplorerFocus::kLayers;
  std::string OwnerText(uint32_t uid, uint32_t gid) const;

  std::function<std::string(std::string_view)> shown_;
  // Names of owners and groups, from the image's /etc/passwd and
  // /etc/group (as `strata ls -l` reads them).
  std::map<uint32_t, std::string> users_, groups_;
};

}  // namespace strata
