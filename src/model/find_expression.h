// find(1)'s expression language over an image's final filesystem, for
// `strata find IMAGE [PATH] [TESTS]`: the tests people already know from
// GNU find (-name, -type, -size, -perm, -user, -newer, -mtime, ...), its
// operators and precedence, and its walk order, evaluated against the
// FileTree without unpacking anything.
//
// The results are what GNU find (with -P, the default) prints when run on
// the image as `umoci unpack` writes it, except for the differences listed
// in doc/find.md and at RunFind below.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "model/file_tree.h"

namespace strata {

// One match, as find prints it.
struct FindEntry {
  std::string path;  // Absolute, with a leading "/": "/usr/bin/env".
  const FileNode* node;
  int depth;  // 0 for the start path itself.
};

// What the expression needs from outside the tree.
struct FindContext {
  // Seconds since the epoch; -mtime and -mmin count back from here, as
  // GNU find counts back from the moment it started.
  int64_t now = 0;
  // The mtime of an absolute path, or nullopt when the image lacks it; for
  // -newer. MtimeLookup(tree) gives the usual one.
  std::function<std::optional<int64_t>(const std::string&)> mtime_of;
  // Names of uids and gids, from the image's /etc/passwd and /etc/group
  // (ParseIdNames); -user and -group look names up here, not on the host.
  std::map<uint32_t, std::string> user_names;
  std::map<uint32_t, std::string> group_names;
};

// A node of the parsed expression; defined in the .cc file.
struct FindNode;

// A parsed expression. Copies share the (immutable) parse tree.
struct FindExpression {
  std::shared_ptr<const FindNode> root;  // Never null after parsing; null matches all.
  int max_depth = -1;                    // -maxdepth N; -1 when not given.
  int min_depth = 0;                     // -mindepth N.
};

// Thrown by ParseFindExpression for a word where a test belongs that names
// no test, action or path: the argument at |position| of its list. A caller
// whose own options may land there (given after IMAGE) can say so.
class UnknownTestError : public Error {
 public:
  UnknownTestError(const std::string& what, size_t position) : Error(what), position_(position) {}
  size_t position() const { return position_; }

 private:
  size_t position_;
};

// Parses find's tests and operators (everything after the start path).
// An empty |args| matches everything, as in find. Throws Error with one
// line naming the argument at fault: an unknown test (UnknownTestError), a
// missing argument, unbalanced parentheses, a bad -size, -perm, -type or
// number.
FindExpression ParseFindExpression(const std::vector<std::string>& args);

// The expression with every operator written out and every nested
// operation in parentheses:
// "( -name a -a -type f ) -o ! -empty". For tests and debugging.
std::string FindExpressionText(const FindExpression& expression);

// Every node at or beneath |start| ("/", "/usr", "/usr/") that
// |expression| matches, in the order GNU find prints them for a tree
// whose directories list their entries in name (byte) order: the parent
// first, then each child's subtree. GNU find follows the directory's own
// order instead, so compare the two as sets. A |start| without a leading
// "/" is taken from the root, and printed with one.
//
// As with find -P, symbolic links are never followed while walking, nor
// is |start| itself when it is a symbolic link, unless it ends in "/";
// links met on the way to |start| are followed (within the image).
// Throws Error when |start| does not exist in the image, when a -newer
// path does not, and when a -user or -group name is neither in the
// context's names nor a number.
//
// Sizes as -size and -empty see them: a regular file's content bytes, a
// symbolic link's target length, 4096 for every directory (what ext4 and
// xfs report for small ones; larger directories report more on disk), 0
// for devices, FIFOs and sockets. Permissions: as stored, but 0777 for
// every symbolic link, as Linux shows them. Times: the mtime the layer
// stored, in whole seconds (0 for a directory no layer stored).
std::vector<FindEntry> RunFind(const FileTree& tree, const std::string& start,
                               const FindExpression& expression, const FindContext& context);

// The mtime -newer and -mtime see for |node|: the stored entry's (the
// shared inode's, for a hard link), 0 for an implied directory.
int64_t NodeMtime(const FileNode* node);

// A FindContext::mtime_of that looks paths up in |tree| (which must
// outlive it) as lstat(2) would: links on the way are followed, a link at
// the end is not (ResolvePath in model/image_path.h).
std::function<std::optional<int64_t>(const std::string&)> MtimeLookup(const FileTree& tree);

// Names by id from the text of an /etc/passwd or /etc/group file
// ("name:password:id:..."). The first line for an id wins, as
// getpwuid(3) returns it; comments, blank and malformed lines are skipped.
std::map<uint32_t, std::string> ParseIdNames(const std::string& passwd_or_group_text);

}  // namespace strata
