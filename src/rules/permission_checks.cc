// Permission rules, on the final filesystem: what the container runs with.
#include <fmt/core.h>

#include "model/tree_visit.h"
#include "rules/checks.h"

namespace strata {

namespace {

void Add(const CheckContext& context, const char* rule, const FileNode* node,
         const std::string& detail, std::vector<Finding>* findings) {
  Finding finding = MakeFinding(context, rule, node->layer, FileTree::PathOf(node));
  finding.detail = detail;
  finding.fix = FixFor(finding);
  findings->push_back(std::move(finding));
}

}  // namespace

void CheckPermissions(const CheckContext& context, std::vector<Finding>* findings) {
  // Few nodes have a finding: their paths are built when they do.
  VisitSubtree(context.analysis.merge.tree().root(), [&](const FileNode* node) {
    if (node->parent == nullptr || node->entry == nullptr) return;
    EntryKind kind = node->kind();
    uint32_t mode = node->mode();

    if (kind == EntryKind::kFile && (mode & 06000) != 0) {
      std::string bits = (mode & 04000) && (mode & 02000) ? "setuid and setgid"
                         : (mode & 04000)                 ? "setuid"
                                                          : "setgid";
      Add(context, "setuid-file", node,
          fmt::format("{} ({:04o}, owner {})", bits, mode, node->uid()), findings);
    }

    bool world_writable = (mode & 02) != 0;
    if (world_writable && kind == EntryKind::kFile)
      Add(context, "world-writable", node, fmt::format("file mode {:04o}", mode), findings);
    if (world_writable && kind == EntryKind::kDirectory && (mode & 01000) == 0)
      Add(context, "world-writable", node,
          fmt::format("directory mode {:04o}, no sticky bit", mode), findings);

    const LayerEntry* holder = node->content != nullptr ? node->content : node->entry;
    for (const auto& [name, value] : holder->xattrs())
      if (name == "security.capability")
        Add(context, "file-capabilities", node, "security.capability is set", findings);
  });
}

}  // namespace strata
