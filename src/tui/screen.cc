#include "tui/screen.h"

#include <curses.h>
#include <fmt/core.h>
#include <langinfo.h>

#include <algorithm>
#include <clocale>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "base/stop_signals.h"
#include "base/units.h"
#include "report/style.h"
#include "tui/file_saver.h"

namespace strata {

namespace {

enum Colour : short { kGreen = 1, kYellow, kRed };

// The help line at the bottom, and the full list behind "?".
const char kHelpLine[] =
    "q quit  ? keys  tab pane  [ ] layer  enter open  c mode  / filter  w waste  "
    "f findings  s save";

const char* const kKeys[] = {
    "q            quit (closes this help first)",
    "?            this list of keys",
    "tab          switch between the layers pane and the file tree",
    "up down j k  move; page up/down, ctrl-b ctrl-f; home end g G",
    "[ ]          previous / next layer, from any pane",
    "right l      open a directory;  left h  close it, or go to the parent",
    "enter space  open or close a directory; in lists, jump to the item",
    "e E          open / close every directory",
    "c            this layer's changes only / everything up to this layer",
    "/            filter by path: text, or a glob with * ? [ ] (empty: none);",
    "             in a prompt, ctrl-u clears it and esc cancels",
    "1 2 3 4      hide or show added, modified, removed, unchanged entries",
    "o            sort by name / by size",
    "w f t        waste list, findings list, back to the file tree (also esc)",
    "s            save the file under the cursor, as its layer stores it",
    "mouse        click a row to select it; the wheel scrolls",
};

class Screen {
 public:
  Screen(Explorer* explorer, const ImageSource& source, const std::string& title,
         const ReadLimits& limits, const std::string& notice)
      : explorer_(*explorer), source_(source), title_(title), limits_(limits), status_(notice) {}

  void Run();

 private:
  void Draw();
  void DrawTooSmall();
  void DrawLayers(int top, int rows, int width);
  void DrawDetails(int top, int rows, int width);
  void DrawTree(int top, int rows, int x, int width);
  void DrawWaste(int top, int rows, int x, int width);
  void DrawFindings(int top, int rows, int x, int width);
  void DrawHelp();
  void Put(int y, int x, int width, const std::string& text, attr_t attr = A_NORMAL);
  std::string Text(const std::string& printable) const;

  bool HandleKey(int key);
  void HandleListKey(int key, ListCursor* cursor, size_t count);
  void HandleTreeKey(int key);
  void HandlePrompt(int key);
  void HandleMouse();
  void StartSave();
  void StartPrompt(bool save, const std::string& text);

  Explorer& explorer_;
  const ImageSource& source_;
  std::string title_;
  ReadLimits limits_;
  FileSaver saver_;
  SaveTarget save_target_;

  bool utf8_ = false;
  bool colour_ = false;
  bool help_ = false;
  std::string status_;

  struct Prompt {
    bool active = false;
    bool save = false;  // Else the filter.
    std::string text;
  } prompt_;

  // Where the last frame put things, for the mouse.
  int left_width_ = 0, layers_top_ = 0, layers_rows_ = 0, list_top_ = 0, list_rows_ = 0;
};

void Screen::Put(int y, int x, int width, const std::string& text, attr_t attr) {
  if (width <= 0) return;
  std::string cut = PadRight(Truncate(Text(text), width), width);
  attron(attr);
  mvaddstr(y, x, cut.c_str());
  attroff(attr);
}

// Names are already printable (escaped controls and invalid UTF-8); on a
// terminal that is not UTF-8, escape the rest too, so nothing is garbled.
std::string Screen::Text(const std::string& printable) const {
  if (utf8_) return printable;
  std::string out;
  for (unsigned char c : printable) {
    if (c < 0x80)
      out += static_cast<char>(c);
    else
      out += fmt::format("\\x{:02x}", c);
  }
  return out;
}

void Screen::Draw() {
  erase();
  int rows = LINES, columns = COLS;
  if (columns < kMinColumns || rows < kMinRows) {
    DrawTooSmall();
    refresh();
    return;
  }

  // Title: the image, the layer, the mode and the filters.
  TreeView& tree = explorer_.tree();
  std::string hidden;
  for (Mark mark : {Mark::kAdded, Mark::kModified, Mark::kRemoved, Mark::kUnchanged})
    if (tree.hidden(mark)) hidden += std::string(hidden.empty() ? "" : ",") + MarkName(mark);
  std::string title = fmt::format(
      "strata explore  {}  layer {}/{}  {}  sort: {}{}{}", title_, explorer_.layer() + 1,
      explorer_.layers().size(), tree.changes_only() ? "this layer's changes" : "everything",
      tree.sort() == TreeSort::kName ? "name" : "size",
      tree.filter().empty() ? "" : "  filter: " + Printable(tree.filter()),
      hidden.empty() ? "" : "  hiding: " + hidden);
  Put(0, 0, columns, title, A_REVERSE);

  // Panes: layers and details on the left, the tree or a list on the right.
  int body = rows - 3;
  left_width_ = std::clamp(columns * 2 / 5, 28, 64);
  int right_x = left_width_ + 1, right_width = columns - right_x;
  for (int y = 1; y <= body; ++y) mvaddch(y, left_width_, ACS_VLINE);
  int layer_rows = std::max(3, std::min<int>(explorer_.layers().size(), body / 2 - 1));
  DrawLayers(1, layer_rows, left_width_);
  DrawDetails(2 + layer_rows, body - layer_rows - 1, left_width_);
  list_top_ = 2;
  list_rows_ = body - 1;
  switch (explorer_.view()) {
    case ExplorerView::kTree:
      DrawTree(1, body, right_x, right_width);
      break;
    case ExplorerView::kWaste:
      DrawWaste(1, body, right_x, right_width);
      break;
    case ExplorerView::kFindings:
      DrawFindings(1, body, right_x, right_width);
      break;
  }

  // Status (or the prompt) and the key line.
  if (prompt_.active) {
    std::string label = prompt_.save ? "save to: " : "filter: ";
    Put(rows - 2, 0, columns, label + Printable(prompt_.text), A_BOLD);
    std::string shown = Text(label + Printable(prompt_.text));
    int caret = static_cast<int>(
        std::count_if(shown.begin(), shown.end(), [](char c) { return (c & 0xC0) != 0x80; }));
    move(rows - 2, std::min(caret, columns - 1));
  } else {
    Put(rows - 2, 0, columns, saver_.busy() ? "saving…" : status_);
  }
  Put(rows - 1, 0, columns, kHelpLine, A_REVERSE);
  if (help_) DrawHelp();
  curs_set(prompt_.active ? 1 : 0);
  refresh();
}

void Screen::DrawTooSmall() {
  // Wrapped at spaces, so that a narrow window still shows the size wanted.
  std::string text = fmt::format(
      "strata explore needs a window of at least {}x{} (this one is {}x{}); enlarge it, or "
      "press q",
      kMinColumns, kMinRows, COLS, LINES);
  std::vector<std::string> lines = WrapWhole(text, COLS, COLS);
  int y = std::max(0, (LINES - static_cast<int>(lines.size())) / 2);
  for (size_t i = 0; i < lines.size() && y + static_cast<int>(i) < LINES; ++i)
    mvaddnstr(y + static_cast<int>(i), 0, lines[i].c_str(), COLS);
}

void Screen::DrawLayers(int top, int rows, int width) {
  bool focused =
      explorer_.view() == ExplorerView::kTree && explorer_.focus() == ExplorerFocus::kLayers;
  Put(top, 0, width, fmt::format("Layers ({})", explorer_.layers().size()),
      focused ? A_BOLD | A_UNDERLINE : A_BOLD);
  ListCursor& cursor = explorer_.layer_cursor();
  cursor.height = static_cast<size_t>(rows);
  cursor.Fit(explorer_.layers().size());
  layers_top_ = top + 1;
  layers_rows_ = rows;
  for (int row = 0; row < rows; ++row) {
    size_t index = cursor.scroll + static_cast<size_t>(row);
    if (index >= explorer_.layers().size()) break;
    const LayerLine& layer = explorer_.layers()[index];
    std::string text =
        fmt::format("{:>3} {:>9}  {}", layer.index + 1, HumanBytes(layer.size), layer.step);
    attr_t attr = index == cursor.cursor ? (focused ? A_REVERSE : A_REVERSE | A_DIM) : A_NORMAL;
    Put(top + 1 + row, 0, width, text, attr);
  }
}

void Screen::DrawDetails(int top, int rows, int width) {
  if (rows <= 0) return;
  Put(top, 0, width, "Details", A_BOLD);
  std::vector<std::string> lines;
  for (const std::string& line : explorer_.Details())
    for (const std::string& wrapped : WrapWords(line, width - 1)) lines.push_back(wrapped);
  for (int row = 0; row + 1 < rows && row < static_cast<int>(lines.size()); ++row)
    Put(top + 1 + row, 0, width, lines[row]);
}

attr_t MarkAttr(Mark mark, bool colour) {
  if (!colour) return mark == Mark::kRemoved ? A_DIM : A_NORMAL;
  switch (mark) {
    case Mark::kAdded:
      return COLOR_PAIR(kGreen);
    case Mark::kModified:
      return COLOR_PAIR(kYellow);
    case Mark::kRemoved:
      return COLOR_PAIR(kRed);
    default:
      return A_NORMAL;
  }
}

char MarkLetter(Mark mark) {
  switch (mark) {
    case Mark::kAdded:
      return '+';
    case Mark::kModified:
      return '~';
    case Mark::kRemoved:
      return '-';
    default:
      return ' ';
  }
}

void Screen::DrawTree(int top, int rows, int x, int width) {
  TreeView& tree = explorer_.tree();
  tree.SetHeight(static_cast<size_t>(std::max(1, rows - 1)));
  const std::vector<TreeRow>& shown = tree.rows();
  bool focused = explorer_.focus() == ExplorerFocus::kTree;
  Put(top, x, width,
      fmt::format("Files as of layer {} ({})", explorer_.layer() + 1,
                  Count(static_cast<int64_t>(shown.size()), "row")),
      focused ? A_BOLD | A_UNDERLINE : A_BOLD);
  if (shown.empty()) {
    Put(top + 1, x, width,
        tree.filter().empty() ? "(nothing to show: see the filters)"
                              : "(no path matches the filter)");
    return;
  }

  const ListCursor& cursor = tree.cursor();
  const PathHistory& history = tree.history();
  int size_width = 10, name_width = width - size_width;
  for (int row = 0; row + 1 < rows; ++row) {
    size_t index = cursor.scroll + static_cast<size_t>(row);
    if (index >= shown.size()) break;
    NodeId node = shown[index].node;
    Mark mark = tree.MarkOf(node);
    // Deep trees keep at least half the width for the name.
    int indent = std::min(shown[index].depth * 2, name_width / 2);
    std::string fold = tree.IsDirectory(node) ? (tree.expanded(node) ? "v " : "> ") : "  ";
    std::string name = explorer_.Shown(history.node(node).name);
    const PathEvent* event = tree.Shown(node);
    if (event != nullptr && event->entry != nullptr && !event->entry->link().empty())
      name += (event->entry->kind == EntryKind::kSymlink ? " -> " : " => /") +
              explorer_.Shown(event->entry->link());
    std::string text = std::string(1, MarkLetter(mark)) + " " + std::string(indent, ' ') + fold;
    attr_t attr = MarkAttr(mark, colour_);
    if (index == cursor.cursor) attr = focused ? A_REVERSE : A_REVERSE | A_DIM;
    Put(top + 1 + row, x, name_width, text + name, attr);
    Put(top + 1 + row, x + name_width, size_width,
        PadLeft(HumanBytes(tree.SizeOf(node)), size_width), attr);
  }
}

void Screen::DrawWaste(int top, int rows, int x, int width) {
  const std::vector<WasteItem>& waste = explorer_.waste();
  ListCursor& cursor = explorer_.waste_cursor();
  cursor.height = static_cast<size_t>(std::max(1, rows - 1));
  cursor.Fit(waste.size());
  Put(top, x, width,
      fmt::format("Waste ({}); enter shows one in its layer",
                  Count(static_cast<int64_t>(waste.size()), "file")),
      A_BOLD | A_UNDERLINE);
  if (waste.empty()) Put(top + 1, x, width, "(no wasted bytes)");
  for (int row = 0; row + 1 < rows; ++row) {
    size_t index = cursor.scroll + static_cast<size_t>(row);
    if (index >= waste.size()) break;
    const WasteItem& item = waste[index];
    std::string text = fmt::format("{:>9}  layer {:>3} {} in {:>3}  /{}", HumanBytes(item.size),
                                   item.layer + 1, item.removed ? "removed" : "replaced",
                                   item.by_layer + 1, Printable(std::string(item.path)));
    Put(top + 1 + row, x, width, text, index == cursor.cursor ? A_REVERSE : A_NORMAL);
  }
}

void Screen::DrawFindings(int top, int rows, int x, int width) {
  const std::vector<Finding>& findings = explorer_.findings();
  ListCursor& cursor = explorer_.findings_cursor();
  cursor.height = static_cast<size_t>(std::max(1, rows - 1));
  cursor.Fit(findings.size());
  Put(top, x, width, fmt::format("Findings ({}); enter shows one in its layer", findings.size()),
      A_BOLD | A_UNDERLINE);
  if (findings.empty()) Put(top + 1, x, width, "(no findings)");
  for (int row = 0; row + 1 < rows; ++row) {
    size_t index = cursor.scroll + static_cast<size_t>(row);
    if (index >= findings.size()) break;
    const Finding& finding = findings[index];
    std::string where = finding.layer < 0 ? "config" : fmt::format("layer {}", finding.layer + 1);
    std::string text = fmt::format("{:<8} {:<9} {}  {}{}", SeverityName(finding.severity), where,
                                   finding.rule_id, PathText(finding),
                                   finding.detail.empty() ? "" : "  " + Printable(finding.detail));
    Put(top + 1 + row, x, width, text, index == cursor.cursor ? A_REVERSE : A_NORMAL);
  }
}

void Screen::DrawHelp() {
  int count = static_cast<int>(std::size(kKeys));
  int width = std::min(COLS - 4, 80), height = std::min(LINES - 4, count + 3);
  int top = (LINES - height) / 2, left = (COLS - width) / 2;
  for (int row = 0; row < height; ++row) Put(top + row, left, width, "", A_REVERSE);
  Put(top, left, width, " Keys (any key closes this)", A_REVERSE | A_BOLD);
  for (int row = 0; row < count && row + 2 < height; ++row)
    Put(top + 2 + row, left, width, std::string(" ") + kKeys[row], A_REVERSE);
}

void Screen::StartPrompt(bool save, const std::string& text) {
  prompt_.active = true;
  prompt_.save = save;
  prompt_.text = text;
}

void Screen::StartSave() {
  if (saver_.busy()) {
    status_ = "a save is already running";
    return;
  }
  if (explorer_.view() != ExplorerView::kTree || !explorer_.SaveTargetAtCursor(&save_target_)) {
    status_ = "only a file can be saved: put the tree cursor on one";
    return;
  }
  // The name as the tree shows it: one that spells a token is offered
  // redacted, never typed out on the status line.
  StartPrompt(true, explorer_.Shown(BaseName(save_target_.path)));
}

void Screen::HandlePrompt(int key) {
  if (key == 27) {  // Escape.
    prompt_.active = false;
    status_.clear();
    return;
  }
  if (key == '\n' || key == KEY_ENTER || key == '\r') {
    prompt_.active = false;
    if (prompt_.save) {
      // The name was offered redacted when it spells a token: taken as
      // offered, it means the file's own name, not the redacted text. Not
      // so for a name holding control characters, offered escaped: what
      // the screen shows is what is written (an escape sequence or a
      // newline in a file's name would reach the user's terminal).
      std::string name(BaseName(save_target_.path));
      bool as_offered = prompt_.text == explorer_.Shown(name) && Printable(name) == name;
      std::string file = as_offered ? name : prompt_.text;
      saver_.Start(explorer_.analysis(), save_target_.path, save_target_.layer, file, limits_,
                   save_target_.secret,
                   [this](std::string_view text) { return explorer_.Shown(text); });
      status_.clear();
    } else {
      explorer_.tree().SetFilter(prompt_.text);
      status_ = prompt_.text.empty() ? "filter cleared" : "";
    }
    return;
  }
  if (key == 21) {  // Ctrl-U: clear the line.
    prompt_.text.clear();
    return;
  }
  if (key == KEY_BACKSPACE || key == 127 || key == 8) {
    // Drop a whole UTF-8 character.
    while (!prompt_.text.empty() && (prompt_.text.back() & 0xC0) == 0x80) prompt_.text.pop_back();
    if (!prompt_.text.empty()) prompt_.text.pop_back();
    return;
  }
  if (key >= 32 && key < 256 && key != 127 && prompt_.text.size() < 4096)
    prompt_.text += static_cast<char>(key);
}

void Screen::HandleListKey(int key, ListCursor* cursor, size_t count) {
  switch (key) {
    case KEY_UP:
    case 'k':
      cursor->Move(-1, count);
      break;
    case KEY_DOWN:
    case 'j':
      cursor->Move(1, count);
      break;
    case KEY_PPAGE:
    case 2:  // Ctrl-B.
      cursor->Page(-1, count);
      break;
    case KEY_NPAGE:
    case 6:  // Ctrl-F.
      cursor->Page(1, count);
      break;
    case KEY_HOME:
    case 'g':
      cursor->Set(0, count);
      break;
    case KEY_END:
    case 'G':
      cursor->Set(count, count);
      break;
    default:
      break;
  }
}

void Screen::HandleTreeKey(int key) {
  TreeView& tree = explorer_.tree();
  switch (key) {
    case KEY_UP:
    case 'k':
      tree.Move(-1);
      break;
    case KEY_DOWN:
    case 'j':
      tree.Move(1);
      break;
    case KEY_PPAGE:
    case 2:
      tree.Page(-1);
      break;
    case KEY_NPAGE:
    case 6:
      tree.Page(1);
      break;
    case KEY_HOME:
    case 'g':
      tree.Home();
      break;
    case KEY_END:
    case 'G':
      tree.End();
      break;
    case KEY_RIGHT:
    case 'l':
      tree.Expand();
      break;
    case KEY_LEFT:
    case 'h':
      tree.Collapse();
      break;
    case '\n':
    case '\r':
    case KEY_ENTER:
    case ' ':
      tree.Toggle();
      break;
    default:
      break;
  }
}

// Returns false to quit.
bool Screen::HandleKey(int key) {
  if (prompt_.active) {
    HandlePrompt(key);
    return true;
  }
  if (help_) {  // Any key, q included, only closes the help.
    help_ = false;
    return true;
  }
  if (COLS < kMinColumns || LINES < kMinRows) return key != 'q';

  TreeView& tree = explorer_.tree();
  ExplorerView view = explorer_.view();
  switch (key) {
    case 'q':
      return false;
    case '?':
      help_ = true;
      return true;
    case '\t':
      explorer_.SetFocus(explorer_.focus() == ExplorerFocus::kLayers ? ExplorerFocus::kTree
                                                                     : ExplorerFocus::kLayers);
      explorer_.SetView(ExplorerView::kTree);
      return true;
    case '[':
      explorer_.MoveLayer(-1);
      return true;
    case ']':
      explorer_.MoveLayer(1);
      return true;
    case 'w':
      explorer_.SetView(ExplorerView::kWaste);
      return true;
    case 'f':
      explorer_.SetView(ExplorerView::kFindings);
      return true;
    case 't':
    case 27:
      explorer_.SetView(ExplorerView::kTree);
      return true;
    case 'c':
      tree.SetChangesOnly(!tree.changes_only());
      return true;
    case 'o':
      tree.SetSort(tree.sort() == TreeSort::kName ? TreeSort::kSize : TreeSort::kName);
      return true;
    case 'e':
      tree.ExpandAll();
      return true;
    case 'E':
      tree.CollapseAll();
      return true;
    case '/':
      StartPrompt(false, tree.filter());
      return true;
    case 's':
      StartSave();
      return true;
    case '1':
    case '2':
    case '3':
    case '4': {
      const Mark marks[] = {Mark::kAdded, Mark::kModified, Mark::kRemoved, Mark::kUnchanged};
      Mark mark = marks[key - '1'];
      tree.SetHidden(mark, !tree.hidden(mark));
      return true;
    }
    case KEY_MOUSE:
      HandleMouse();
      return true;
    default:
      break;
  }

  if (view == ExplorerView::kWaste || view == ExplorerView::kFindings) {
    if (key == '\n' || key == '\r' || key == KEY_ENTER) {
      if (!explorer_.OpenSelected()) status_ = "that item is not in any layer's files";
      return true;
    }
    if (view == ExplorerView::kWaste)
      HandleListKey(key, &explorer_.waste_cursor(), explorer_.waste().size());
    else
      HandleListKey(key, &explorer_.findings_cursor(), explorer_.findings().size());
    return true;
  }

  if (explorer_.focus() == ExplorerFocus::kLayers) {
    if (key == '\n' || key == '\r' || key == KEY_ENTER || key == KEY_RIGHT || key == 'l') {
      explorer_.SetFocus(ExplorerFocus::kTree);
      return true;
    }
    ListCursor before = explorer_.layer_cursor();
    HandleListKey(key, &explorer_.layer_cursor(), explorer_.layers().size());
    if (explorer_.layer_cursor().cursor != before.cursor)
      explorer_.SelectLayer(static_cast<int>(explorer_.layer_cursor().cursor));
    return true;
  }
  HandleTreeKey(key);
  return true;
}

void Screen::HandleMouse() {
  MEVENT event;
  if (getmouse(&event) != OK) return;
  bool wheel_up = event.bstate & BUTTON4_PRESSED;
  bool wheel_down = false;
#ifdef BUTTON5_PRESSED
  wheel_down = event.bstate & BUTTON5_PRESSED;
#endif
  bool on_left = event.x < left_width_;
  if (wheel_up || wheel_down) {
    long delta = wheel_up ? -3 : 3;
    if (on_left)
      explorer_.MoveLayer(delta);
    else if (explorer_.view() == ExplorerView::kTree)
      explorer_.tree().Move(delta);
    else if (explorer_.view() == ExplorerView::kWaste)
      explorer_.waste_cursor().Move(delta, explorer_.waste().size());
    else
      explorer_.findings_cursor().Move(delta, explorer_.findings().size());
    return;
  }
  if (!(event.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED))) return;

  if (on_left && event.y >= layers_top_ && event.y < layers_top_ + layers_rows_) {
    size_t index = explorer_.layer_cursor().scroll + static_cast<size_t>(event.y - layers_top_);
    if (index < explorer_.layers().size()) explorer_.SelectLayer(static_cast<int>(index));
    explorer_.SetFocus(ExplorerFocus::kLayers);
    return;
  }
  if (on_left || event.y < list_top_ || event.y >= list_top_ + list_rows_) return;
  long row = event.y - list_top_;
  if (explorer_.view() == ExplorerView::kTree) {
    TreeView& tree = explorer_.tree();
    tree.Move(static_cast<long>(tree.cursor().scroll) + row -
              static_cast<long>(tree.cursor().cursor));
    explorer_.SetFocus(ExplorerFocus::kTree);
  } else {
    bool waste = explorer_.view() == ExplorerView::kWaste;
    ListCursor& cursor = waste ? explorer_.waste_cursor() : explorer_.findings_cursor();
    size_t count = waste ? explorer_.waste().size() : explorer_.findings().size();
    cursor.Set(cursor.scroll + static_cast<size_t>(row), count);
  }
}

void Screen::Run() {
  setlocale(LC_ALL, "");
  utf8_ = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
  // ncurses restores the terminal in its own SIGINT and SIGTERM handlers;
  // strata's goes in front of them, to remove a save's temporary file.
  LeaveStopSignalsToScreen();
  initscr();
  ChainStopSignals();
  cbreak();
  noecho();
  keypad(stdscr, TRUE);
  set_escdelay(25);
  mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON4_PRESSED
#ifdef BUTTON5_PRESSED
                | BUTTON5_PRESSED
#endif
            ,
            nullptr);
  const char* no_colour = getenv("NO_COLOR");
  colour_ = has_colors() && (no_colour == nullptr || *no_colour == '\0');
  if (colour_) {
    start_color();
    use_default_colors();
    init_pair(kGreen, COLOR_GREEN, -1);
    init_pair(kYellow, COLOR_YELLOW, -1);
    init_pair(kRed, COLOR_RED, -1);
  }

  // Wake up now and then while a save runs, to show its result.
  for (;;) {
    bool saving = saver_.busy();
    std::string message;
    if (saver_.TakeResult(&message)) status_ = message;
    Draw();
    timeout(saving ? 100 : -1);
    int key = getch();
    if (key == ERR) continue;

    // Handle every key already typed before drawing again: a held-down key
    // costs one frame, not one per repeat.
    bool quit = false;
    timeout(0);
    for (; key != ERR && !quit; key = getch())
      quit = key != KEY_RESIZE && !HandleKey(key);  // A resize needs only the next frame.
    if (quit) break;
  }
  endwin();
}

}  // namespace

void RunExplorerScreen(Explorer* explorer, const ImageSource& source, const std::string& title,
                       const ReadLimits& limits, const std::string& notice) {
  Screen screen(explorer, source, title, limits, notice);
  try {
    screen.Run();
  } catch (...) {
    endwin();  // Give the terminal back before the error is printed.
    throw;
  }
}

}  // namespace strata
