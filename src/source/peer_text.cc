#include "source/peer_text.h"

#include <algorithm>

#include "base/utf8.h"

namespace strata {

namespace {

constexpr char kEscape = '\033';

// The length of the terminal escape sequence at |text[i]| (an escape):
// "ESC [ parameters final" (CSI, which colours text), else ESC, its
// intermediate bytes and one final character ("ESC ( B").
size_t EscapeLength(std::string_view text, size_t i) {
  size_t end = i + 1;
  bool csi = end < text.size() && text[end] == '[';
  if (csi) ++end;
  // Parameter bytes (CSI only) and intermediate bytes, then the final one.
  char last = csi ? 0x3f : 0x2f;
  while (end < text.size() && text[end] >= 0x20 && text[end] <= last) ++end;
  return std::min(end + 1, text.size()) - i;
}

// The length of the UTF-8 sequence at |text[i]|; 0 when it is not one,
// and the bytes left when it is cut by the end of |text|.
size_t SequenceLength(std::string_view text, size_t i) {
  return Utf8SequenceLength(text, i, /*cut_counts=*/true);
}

}  // namespace

std::string QuotableLine(std::string_view line, size_t max_bytes) {
  std::string text;
  for (size_t i = 0; i < line.size();) {
    unsigned char byte = static_cast<unsigned char>(line[i]);
    if (byte == kEscape) {
      i += EscapeLength(line, i);
      continue;
    }
    if (byte == '\t') text += ' ';
    if (byte >= 0x20 && byte != 0x7f) text += line[i];
    ++i;
  }

  size_t start = text.find_first_not_of(' ');
  if (start == std::string::npos) return "";
  text = text.substr(start, text.find_last_not_of(' ') + 1 - start);
  if (text.size() <= max_bytes) return text;
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) --cut;
  return text.substr(0, cut) + "…";
}

bool LooksLikeText(std::string_view bytes) {
  for (size_t i = 0; i < bytes.size();) {
    unsigned char byte = static_cast<unsigned char>(bytes[i]);
    bool allowed_control = byte == '\t' || byte == '\n' || byte == '\r' || byte == kEscape;
    if ((byte < 0x20 || byte == 0x7f) && !allowed_control) return false;
    size_t length = SequenceLength(bytes, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

std::string_view FirstLineWithText(std::string_view bytes) {
  for (size_t from = 0; from < bytes.size();) {
    size_t end = std::min(bytes.find('\n', from), bytes.size());
    std::string_view line = bytes.substr(from, end - from);
    if (!QuotableLine(line).empty()) return line;
    from = end + 1;
  }
  return {};
}

}  // namespace strata
