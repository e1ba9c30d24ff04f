#include "cache/layer_codec.h"

#include <zstd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace strata {

namespace {

constexpr char kMagic[4] = {'S', 'L', 'R', 'C'};

// zstd's fastest level: the payload is mostly short path suffixes and
// content hashes (which do not compress); level 1 runs at several hundred
// MB/s, so a cold audit barely notices the encoding.
constexpr int kZstdLevel = 1;

// A decoded payload larger than this is damage, not a layer: ten million
// entries (the --max-entries default) encode to well under 1 GiB.
constexpr uint64_t kMaxPayloadBytes = uint64_t{4} << 30;

// Entry flags byte: the kind in the low four bits, then what follows.
constexpr uint8_t kKindMask = 0x0f;
constexpr uint8_t kEscaped = 0x10;
constexpr uint8_t kHasLink = 0x20;
constexpr uint8_t kHasXattrs = 0x40;
constexpr uint8_t kHasDevice = 0x80;
constexpr uint8_t kLastKind = static_cast<uint8_t>(EntryKind::kOpaque);

class Writer {
 public:
  void Varint(uint64_t value) {
    while (value >= 0x80) {
      out_ += static_cast<char>(value | 0x80);
      value >>= 7;
    }
    out_ += static_cast<char>(value);
  }

  void Signed(int64_t value) {
    // Zigzag: small magnitudes of either sign take few bytes.
    Varint((static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63));
  }

  void Fixed64(uint64_t value) {
    char bytes[8];
    memcpy(bytes, &value, 8);
    out_.append(bytes, 8);
  }

  void Byte(uint8_t value) { out_ += static_cast<char>(value); }

  void Bytes(std::string_view text) {
    Varint(text.size());
    out_.append(text);
  }

  void Raw(std::string_view text) { out_.append(text); }

  std::string& out() { return out_; }

 private:
  std::string out_;
};

// Reads what Writer wrote; every read is checked against the bytes left,
// and the first failure makes every later read fail too.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  bool ok() const { return ok_; }
  bool done() const { return ok_ && in_.empty(); }

  uint64_t Varint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (in_.empty()) return Bad();
      uint8_t byte = static_cast<uint8_t>(in_.front());
      in_.remove_prefix(1);
      value |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    return Bad();
  }

  int64_t Signed() {
    uint64_t value = Varint();
    return static_cast<int64_t>((value >> 1) ^ (~(value & 1) + 1));
  }

  // A count of things that each take at least |min_bytes| bytes, so a
  // damaged count cannot make the caller reserve more than the bytes left
  // can hold.
  size_t Count(size_t min_bytes = 1) {
    uint64_t count = Varint();
    if (count > in_.size() / min_bytes) return Bad();
    return static_cast<size_t>(count);
  }

  uint64_t Fixed64() {
    if (in_.size() < 8) return Bad();
    uint64_t value;
    memcpy(&value, in_.data(), 8);
    in_.remove_prefix(8);
    return value;
  }

  uint8_t Byte() {
    if (in_.empty()) return static_cast<uint8_t>(Bad());
    uint8_t value = static_cast<uint8_t>(in_.front());
    in_.remove_prefix(1);
    return value;
  }

  std::string_view Raw(size_t size) {
    if (size > in_.size()) {
      Bad();
      return {};
    }
    std::string_view value = in_.substr(0, size);
    in_.remove_prefix(size);
    return value;
  }

  std::string_view Bytes() { return Raw(static_cast<size_t>(Varint())); }

  uint32_t U32() {
    uint64_t value = Varint();
    if (value > UINT32_MAX) return static_cast<uint32_t>(Bad());
    return static_cast<uint32_t>(value);
  }

  int64_t NonNegative() {
    uint64_t value = Varint();
    if (value > static_cast<uint64_t>(INT64_MAX)) return static_cast<int64_t>(Bad());
    return static_cast<int64_t>(value);
  }

 private:
  uint64_t Bad() {
    ok_ = false;
    in_ = {};
    return 0;
  }

  std::string_view in_;
  bool ok_ = true;
};

// Differences of hostile mtimes may not fit an int64: they are taken
// modulo 2^64 (well defined on unsigned), which decoding undoes exactly.
int64_t Wrap(uint64_t value) { return static_cast<int64_t>(value); }

size_t SharedPrefix(std::string_view a, std::string_view b) {
  size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

void EncodeEntries(const std::vector<LayerEntry>& entries, Writer* out) {
  out->Varint(entries.size());
  std::string_view previous_path;
  int64_t previous_mtime = 0;
  for (const LayerEntry& entry : entries) {
    bool device = entry.device_major() != 0 || entry.device_minor() != 0;
    uint8_t flags = static_cast<uint8_t>(entry.kind) | (entry.path_escaped ? kEscaped : 0) |
                    (entry.link().empty() ? 0 : kHasLink) |
                    (entry.xattrs().empty() ? 0 : kHasXattrs) | (device ? kHasDevice : 0);
    out->Byte(flags);

    size_t shared = SharedPrefix(previous_path, entry.path);
    out->Varint(shared);
    out->Bytes(std::string_view(entry.path).substr(shared));
    previous_path = entry.path;

    if (!entry.link().empty()) out->Bytes(entry.link());
    if (!entry.xattrs().empty()) {
      out->Varint(entry.xattrs().size());
      for (const auto& [name, value] : entry.xattrs()) {
        out->Bytes(name);
        out->Bytes(value);
      }
    }
    out->Signed(entry.size);
    // Layers are usually built at one moment: deltas are mostly 0.
    out->Signed(Wrap(static_cast<uint64_t>(entry.mtime) - static_cast<uint64_t>(previous_mtime)));
    previous_mtime = entry.mtime;
    if (entry.kind == EntryKind::kFile) out->Fixed64(entry.content_hash);
    out->Varint(entry.mode);
    out->Varint(entry.uid);
    out->Varint(entry.gid);
    if (device) {
      out->Varint(entry.device_major());
      out->Varint(entry.device_minor());
    }
  }
}

bool DecodeEntries(Reader* in, LayerContents* layer) {
  // Flags, shared length, suffix length, size, mtime, mode, uid, gid.
  constexpr size_t kMinEntryBytes = 8;
  size_t count = in->Count(kMinEntryBytes);
  layer->entries.reserve(count);
  std::string_view previous_path;  // Kept in layer->paths.
  std::string path;
  int64_t previous_mtime = 0;
  for (size_t i = 0; i < count && in->ok(); ++i) {
    LayerEntry& entry = layer->entries.emplace_back();
    uint8_t flags = in->Byte();
    if ((flags & kKindMask) > kLastKind) return false;
    entry.kind = static_cast<EntryKind>(flags & kKindMask);
    entry.path_escaped = (flags & kEscaped) != 0;

    size_t shared = static_cast<size_t>(in->Varint());
    if (shared > previous_path.size()) return false;
    path.assign(previous_path.substr(0, shared));
    path += in->Bytes();
    entry.path = layer->paths.Keep(path);
    previous_path = entry.path;

    if (flags & kHasLink) entry.set_link(std::string(in->Bytes()));
    if (flags & kHasXattrs) {
      size_t xattrs = in->Count();
      for (size_t x = 0; x < xattrs && in->ok(); ++x) {
        std::string name(in->Bytes());
        entry.mutable_xattrs().emplace_back(std::move(name), std::string(in->Bytes()));
      }
    }
    entry.size = in->Signed();
    entry.mtime = Wrap(static_cast<uint64_t>(previous_mtime) + static_cast<uint64_t>(in->Signed()));
    previous_mtime = entry.mtime;
    if (entry.kind == EntryKind::kFile) entry.content_hash = in->Fixed64();
    entry.mode = in->U32();
    entry.uid = in->U32();
    entry.gid = in->U32();
    if (flags & kHasDevice) {
      uint32_t major = in->U32();
      entry.set_device(major, in->U32());
    }
  }
  return in->ok();
}

void EncodeStoredNames(const LayerContents& layer, Writer* out) {
  out->Varint(layer.stored_names.size());
  for (const auto& [index, name] : layer.stored_names) {
    out->Varint(index);
    out->Bytes(name);
  }
}

// Each name belongs to an entry whose path escaped, in entry order, as
// LayerContents::StoredName needs them.
bool DecodeStoredNames(Reader* in, LayerContents* layer) {
  size_t names = in->Count();
  for (size_t i = 0; i < names && in->ok(); ++i) {
    size_t index = static_cast<size_t>(in->Varint());
    if (index >= layer->entries.size() || !layer->entries[index].path_escaped ||
        (!layer->stored_names.empty() && index <= layer->stored_names.back().first))
      return false;
    layer->stored_names.emplace_back(index, std::string(in->Bytes()));
  }
  return in->ok();
}

void EncodeScan(const LayerContents& layer, Writer* out) {
  out->Varint(layer.hits.size());
  for (const ContentHit& hit : layer.hits) {
    out->Varint(hit.entry);
    out->Bytes(hit.rule_id);
    out->Varint(static_cast<uint64_t>(hit.line));
    out->Bytes(hit.excerpt);
  }
  out->Varint(layer.kept.size());
  for (const auto& [index, text] : layer.kept) {
    out->Varint(index);
    out->Bytes(text);
  }
  out->Varint(layer.warnings.size());
  for (const std::string& warning : layer.warnings) out->Bytes(warning);
}

bool DecodeScan(Reader* in, LayerContents* layer) {
  size_t entries = layer->entries.size();
  size_t hits = in->Count();
  for (size_t i = 0; i < hits && in->ok(); ++i) {
    ContentHit& hit = layer->hits.emplace_back();
    hit.entry = static_cast<size_t>(in->Varint());
    hit.rule_id = in->Bytes();
    uint64_t line = in->Varint();
    if (line > INT32_MAX || hit.entry >= entries) return false;
    hit.line = static_cast<int>(line);
    hit.excerpt = in->Bytes();
  }
  size_t kept = in->Count();
  for (size_t i = 0; i < kept && in->ok(); ++i) {
    size_t index = static_cast<size_t>(in->Varint());
    if (index >= entries) return false;
    layer->kept.emplace_back(index, std::string(in->Bytes()));
  }
  size_t warnings = in->Count();
  for (size_t i = 0; i < warnings && in->ok(); ++i) layer->warnings.emplace_back(in->Bytes());
  return in->ok();
}

std::string Compress(const std::string& payload) {
  std::string out(ZSTD_compressBound(payload.size()), '\0');
  size_t size = ZSTD_compress(out.data(), out.size(), payload.data(), payload.size(), kZstdLevel);
  if (ZSTD_isError(size)) return "";  // Cannot happen with a bound-sized buffer.
  out.resize(size);
  return out;
}

std::optional<std::string> Decompress(std::string_view bytes) {
  unsigned long long size = ZSTD_getFrameContentSize(bytes.data(), bytes.size());
  if (size == ZSTD_CONTENTSIZE_UNKNOWN || size == ZSTD_CONTENTSIZE_ERROR || size > kMaxPayloadBytes)
    return std::nullopt;
  std::string payload(static_cast<size_t>(size), '\0');
  size_t got = ZSTD_decompress(payload.data(), payload.size(), bytes.data(), bytes.size());
  if (ZSTD_isError(got) || got != size) return std::nullopt;
  return payload;
}

}  // namespace

std::string EncodeLayerResult(const LayerContents& layer) {
  Writer out;
  out.Raw(std::string_view(kMagic, sizeof kMagic));
  out.Varint(kLayerCodecFormat);
  out.Bytes(layer.diff_id);
  out.Signed(layer.tar_size);
  EncodeEntries(layer.entries, &out);
  EncodeStoredNames(layer, &out);
  EncodeScan(layer, &out);
  return Compress(out.out());
}

std::optional<LayerContents> DecodeLayerResult(std::string_view bytes, const std::string& diff_id) {
  std::optional<std::string> payload = Decompress(bytes);
  if (!payload) return std::nullopt;

  Reader in(*payload);
  if (in.Raw(sizeof kMagic) != std::string_view(kMagic, sizeof kMagic)) return std::nullopt;
  if (in.Varint() != kLayerCodecFormat || in.Bytes() != diff_id) return std::nullopt;

  LayerContents layer;
  layer.diff_id = diff_id;
  layer.tar_size = in.Signed();
  if (!DecodeEntries(&in, &layer) || !DecodeStoredNames(&in, &layer) || !DecodeScan(&in, &layer) ||
      !in.done())
    return std::nullopt;
  return layer;
}

}  // namespace strata
