#include "report/style.h"

#include <fmt/core.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <clocale>
#include <cstdlib>
#include <cstring>
#include <cwchar>

#include "base/utf8.h"

namespace strata {

namespace {

// The code point of the valid sequence of |length| bytes at |s[i]|.
char32_t CodePoint(const std::string& s, size_t i, size_t length) {
  static constexpr unsigned char kLeadBits[] = {0, 0x7f, 0x1f, 0x0f, 0x07};
  char32_t point = static_cast<unsigned char>(s[i]) & kLeadBits[length];
  for (size_t k = 1; k < length; ++k)
    point = (point << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
  return point;
}

// Characters that change how the rest of a line reads without showing
// themselves: C1 controls, and the bidirectional formatting characters,
// with which a file named "\u{202e}gpj.env" shows as "vne.jpg"; and those
// that show nothing (a soft hyphen, zero-width spaces, a byte-order mark:
// "a\u{200b}pp" reads as "app") or break the line (U+2028, U+2029). The
// joiners (U+200C, U+200D) are left: scripts and emoji are written with
// them.
bool Invisible(char32_t c) {
  return (c >= 0x80 && c <= 0x9f) || c == 0x00ad || c == 0x061c || c == 0x200b ||
         c == 0x200e || c == 0x200f || c == 0x2028 || c == 0x2029 ||
         (c >= 0x202a && c <= 0x202e) || c == 0x2060 || (c >= 0x2066 && c <= 0x2069) ||
         c == 0xfeff;
}

// The columns a terminal gives |c|: 2 for East Asian wide and full-width
// characters (CJK, most emoji), 0 for combining marks, else 1. glibc's
// tables (wcwidth) know which, read under C.UTF-8 whatever the process's
// own locale is.
int CodePointWidth(char32_t c) {
  if (c < 0x300) return 1;  // Latin: no wide or combining character below.
  static const locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", locale_t{});
  if (utf8 == locale_t{}) return 1;
  locale_t previous = uselocale(utf8);
  int width = wcwidth(static_cast<wchar_t>(c));
  uselocale(previous);
  return width < 0 ? 1 : width;
}

// The columns of the character at |text[i]| (an invalid byte: 1), and its
// length in *|length|.
int WidthAt(const std::string& text, size_t i, size_t* length) {
  *length = Utf8SequenceLength(text, i);
  if (*length == 0) {
    *length = 1;
    return 1;
  }
  return CodePointWidth(CodePoint(text, i, *length));
}

}  // namespace

int Columns(const std::string& text) {
  int columns = 0;
  size_t length = 0;
  for (size_t i = 0; i < text.size(); i += length) columns += WidthAt(text, i, &length);
  return columns;
}

Style StyleFor(int fd) {
  Style style;
  bool terminal = isatty(fd);
  const char* term = getenv("TERM");
  const char* no_color = getenv("NO_COLOR");
  style.color = terminal && (no_color == nullptr || *no_color == '\0') &&
                !(term != nullptr && strcmp(term, "dumb") == 0);

  struct winsize size;
  if (terminal && ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col >= 40) style.width = size.ws_col;
  return style;
}

std::string Truncate(const std::string& text, int width) {
  if (Columns(text) <= width) return text;
  std::string cut;
  int columns = 0;
  size_t length = 0;
  for (size_t i = 0; i < text.size(); i += length) {
    int next = WidthAt(text, i, &length);
    if (columns + next > width - 1) break;  // A wide character that does not fit stays out.
    cut.append(text, i, length);
    columns += next;
  }
  return cut + "…";
}

std::string TruncateMiddle(const std::string& text, int width) {
  if (Columns(text) <= width) return text;
  if (width < 5) return Truncate(text, width);
  int head_width = (width - 1) / 3;
  std::string head = Truncate(text, head_width + 1);
  head.resize(head.size() - std::string("…").size());
  // The characters' starts, to take the longest end that fits.
  std::vector<size_t> starts;
  std::vector<int> widths;
  size_t length = 0;
  for (size_t i = 0; i < text.size(); i += length) {
    starts.push_back(i);
    widths.push_back(WidthAt(text, i, &length));
  }
  int room = width - 1 - Columns(head), taken = 0;
  size_t from = text.size();
  for (size_t k = starts.size(); k-- > 0 && taken + widths[k] <= room;) {
    taken += widths[k];
    from = starts[k];
  }
  return head + "…" + text.substr(from);
}

std::vector<std::string> WrapWords(const std::string& text, int width) {
  std::vector<std::string> lines;
  std::string line;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    std::string word = text.substr(start, end - start);
    start = end + 1;
    if (word.empty()) continue;
    if (!line.empty() && Columns(line) + 1 + Columns(word) > width) {
      lines.push_back(line);
      line.clear();
    }
    line += (line.empty() ? "" : " ") + Truncate(word, width);
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

std::vector<std::string> WrapWhole(const std::string& text, int first_width, int width) {
  width = std::max(width, 1);
  std::vector<std::string> lines(1);
  int columns = 0;
  auto room = [&] { return lines.size() == 1 ? first_width : width; };
  auto next_line = [&] {
    lines.emplace_back();
    columns = 0;
  };
  size_t start = 0;
  while (start < text.size()) {
    size_t end = std::min(text.find(' ', start), text.size());
    std::string word = text.substr(start, end - start);
    start = end + 1;
    if (word.empty()) continue;
    // A word that does not fit starts a line, unless it starts one already
    // (a first line narrower than the rest may be left empty).
    bool starts_line = columns == 0 && (lines.size() > 1 || first_width >= width);
    if (columns + (columns > 0 ? 1 : 0) + Columns(word) > room() && !starts_line) next_line();
    if (columns > 0) {
      lines.back() += ' ';
      ++columns;
    }
    // A word wider than a line goes on over the next ones, cut nowhere.
    size_t length = 0;
    for (size_t i = 0; i < word.size(); i += length) {
      int next = WidthAt(word, i, &length);
      if (columns > 0 && columns + next > room()) next_line();
      lines.back().append(word, i, length);
      columns += next;
    }
  }
  return lines;
}

std::string PadRight(const std::string& text, int width) {
  int columns = Columns(text);
  return columns >= width ? text : text + std::string(width - columns, ' ');
}

std::string PadLeft(const std::string& text, int width) {
  int columns = Columns(text);
  return columns >= width ? text : std::string(width - columns, ' ') + text;
}

std::string QuotedName(const std::string& name) {
  bool plain = Printable(name) == name && name.find_first_of(" \"\\") == std::string::npos;
  if (plain) return name;
  std::string quoted;
  for (char c : name) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return '"' + Printable(quoted) + '"';
}

std::string PathText(const Finding& finding) {
  if (!finding.stored_name.empty()) return QuotedName(finding.stored_name);
  return Printable(ShownPath(finding));
}

std::string Printable(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    size_t length = Utf8SequenceLength(text, i);
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (length == 0) {
      out += fmt::format("\\x{:02x}", c);
      ++i;
    } else if (length == 1 && (c < 0x20 || c == 0x7f)) {
      out += c == '\n' ? "\\n" : c == '\t' ? "\\t" : fmt::format("\\x{:02x}", c);
      ++i;
    } else if (length > 1 && Invisible(CodePoint(text, i, length))) {
      out += fmt::format("\\u{{{:04x}}}", static_cast<uint32_t>(CodePoint(text, i, length)));
      i += length;
    } else {
      out.append(text, i, length);
      i += length;
    }
  }
  return out;
}

}  // namespace strata
