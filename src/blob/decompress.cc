#include "blob/decompress.h"

#include <isa-l/igzip_lib.h>
#include <zstd.h>

#include <cstring>
#include <vector>

#include "base/buffer_pool.h"
#include "base/error.h"

namespace strata {

const char* CompressionName(Compression compression) {
  switch (compression) {
    case Compression::kGzip:
      return "gzip";
    case Compression::kZstd:
      return "zstd";
    case Compression::kNone:
      break;
  }
  return "none";
}

namespace {

// 256 KiB: large enough that ISA-L and libzstd run at full speed per call
// (smaller buffers measured slower), small enough to stay in L2 per worker.
constexpr size_t kInputChunk = 256 * 1024;

// Holds the first bytes read while sniffing the magic, then the rest.
class Prefetch {
 public:
  explicit Prefetch(ByteReader* raw) : raw_(raw) {}

  // Fills the buffer with at least |want| bytes unless the stream ends first.
  void Fill(size_t want) {
    while (end_ - begin_ < want) {
      if (begin_ > 0) Compact();
      size_t got = raw_->Read(bytes() + end_, kInputChunk - end_);
      if (got == 0) break;
      end_ += got;
      read_ += static_cast<int64_t>(got);
    }
  }

  // Refills when empty; returns false at the end of the raw stream.
  bool Refill() {
    if (begin_ < end_) return true;
    begin_ = end_ = 0;
    end_ = raw_->Read(bytes(), kInputChunk);
    read_ += static_cast<int64_t>(end_);
    return end_ > 0;
  }

  // The offset in the raw stream of data()'s first byte.
  int64_t position() const { return read_ - static_cast<int64_t>(end_ - begin_); }

  uint8_t* data() { return bytes() + begin_; }
  size_t size() const { return end_ - begin_; }
  void Consume(size_t n) { begin_ += n; }

 private:
  void Compact() {
    std::memmove(bytes(), bytes() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }

  uint8_t* bytes() { return reinterpret_cast<uint8_t*>(buffer_.get()); }

  ByteReader* raw_;
  // Left unwritten until read into, and from the pool: a fresh one for
  // each layer was faulted in again as it filled.
  PooledBuffer buffer_{kInputChunk};
  size_t begin_ = 0;
  size_t end_ = 0;
  int64_t read_ = 0;  // Bytes read from raw_ so far.
};

// Fails for compressed bytes that end inside a gzip member or zstd frame
// (see BlobCheck): truncated when the blob is the one the image names,
// corrupt when its bytes changed, and either when nothing tells.
[[noreturn]] void FailEarlyEnd(const std::string& name, Compression compression,
                               const std::function<BlobCheck()>& check_blob) {
  const char* format = CompressionName(compression);
  switch (check_blob ? check_blob() : BlobCheck::kNoDigest) {
    case BlobCheck::kMatchesDigest:
      Fail("{}: {} stream is truncated", name, format);
    case BlobCheck::kDiffersFromDigest:
      // The layer cursor adds the digests (LayerCursor::FailNamingTheBlob).
      Fail("{}: corrupt {} data: decoding runs past the blob's end", name, format);
    case BlobCheck::kNoDigest:
      break;
  }
  Fail("{}: {} stream ends early: truncated or corrupt (the image names no digest to tell which)",
       name, format);
}

// ISA-L's inflate errors in words (igzip_lib.h).
const char* InflateErrorName(int status) {
  switch (status) {
    case ISAL_INVALID_BLOCK:
      return "invalid block";
    case ISAL_INVALID_SYMBOL:
      return "invalid symbol";
    case ISAL_INVALID_LOOKBACK:
      return "invalid back-reference";
    case ISAL_INVALID_WRAPPER:
      return "invalid gzip header";
    case ISAL_UNSUPPORTED_METHOD:
      return "unsupported compression method";
    case ISAL_INCORRECT_CHECKSUM:
      return "checksum mismatch";
  }
  return "inflate error";
}

class PlainReader : public ByteReader {
 public:
  explicit PlainReader(std::unique_ptr<Prefetch> input) : input_(std::move(input)) {}

  size_t Read(void* buffer, size_t size) override {
    if (!input_->Refill()) return 0;
    size_t n = std::min(size, input_->size());
    std::memcpy(buffer, input_->data(), n);
    input_->Consume(n);
    return n;
  }

 private:
  std::unique_ptr<Prefetch> input_;
};

class GzipReader : public ByteReader {
 public:
  GzipReader(std::unique_ptr<Prefetch> input, std::string name,
             std::function<BlobCheck()> check_blob, std::atomic<int64_t>* trailing_at)
      : input_(std::move(input)),
        name_(std::move(name)),
        check_blob_(std::move(check_blob)),
        trailing_at_(trailing_at) {
    StartMember();
  }

  size_t Read(void* buffer, size_t size) override {
    while (!done_) {
      if (state_.block_state == ISAL_BLOCK_FINISH && !NextMember()) break;

      if (state_.avail_in == 0) {
        input_->Consume(consumed_);
        consumed_ = 0;
        if (!input_->Refill()) FailEarlyEnd(name_, Compression::kGzip, check_blob_);
        state_.next_in = input_->data();
        state_.avail_in = static_cast<uint32_t>(input_->size());
      }

      uint32_t before_in = state_.avail_in;
      state_.next_out = static_cast<uint8_t*>(buffer);
      state_.avail_out = static_cast<uint32_t>(std::min<size_t>(size, UINT32_MAX));
      int status = isal_inflate(&state_);
      if (status < 0)
        Fail("{}: corrupt gzip data ({}, ISA-L status {})", name_, InflateErrorName(status),
             status);
      consumed_ += before_in - state_.avail_in;

      size_t produced = size - state_.avail_out;
      if (produced > 0) return produced;
    }
    return 0;
  }

 private:
  void StartMember() {
    isal_inflate_init(&state_);
    state_.crc_flag = ISAL_GZIP;
    state_.next_in = input_->data();
    state_.avail_in = static_cast<uint32_t>(input_->size());
  }

  // After a member ends: starts the next one when another gzip member
  // follows. Anything else after the last member (zero padding, garbage) is
  // ignored, as gzip(1) does; the blob digest still covers it.
  // Where they start is noted for the layer's warning: Go's gzip reader
  // (containerd, Docker) refuses them, so the image may not pull.
  bool NextMember() {
    input_->Consume(consumed_);
    consumed_ = 0;
    input_->Fill(2);
    if (input_->size() < 2 || input_->data()[0] != 0x1f || input_->data()[1] != 0x8b) {
      if (input_->size() > 0 && trailing_at_ != nullptr) *trailing_at_ = input_->position();
      done_ = true;
      return false;
    }
    StartMember();
    return true;
  }

  std::unique_ptr<Prefetch> input_;
  std::string name_;
  std::function<BlobCheck()> check_blob_;
  std::atomic<int64_t>* trailing_at_;
  inflate_state state_;
  size_t consumed_ = 0;  // Bytes of input_->data() that ISA-L has used.
  bool done_ = false;
};

class ZstdReader : public ByteReader {
 public:
  ZstdReader(std::unique_ptr<Prefetch> input, std::string name,
             std::function<BlobCheck()> check_blob)
      : input_(std::move(input)),
        name_(std::move(name)),
        check_blob_(std::move(check_blob)),
        context_(ZSTD_createDCtx()) {
    if (context_ == nullptr) Fail("{}: cannot start zstd decompression", name_);
  }
  ~ZstdReader() override { ZSTD_freeDCtx(context_); }

  size_t Read(void* buffer, size_t size) override {
    ZSTD_outBuffer out = {buffer, size, 0};
    while (out.pos == 0) {
      if (input_->size() == 0 && !input_->Refill()) {
        if (frame_open_) FailEarlyEnd(name_, Compression::kZstd, check_blob_);
        return 0;
      }
      ZSTD_inBuffer in = {input_->data(), input_->size(), 0};
      size_t status = ZSTD_decompressStream(context_, &out, &in);
      if (ZSTD_isError(status))
        Fail("{}: corrupt zstd data ({})", name_, ZSTD_getErrorName(status));
      input_->Consume(in.pos);
      frame_open_ = status != 0;
    }
    return out.pos;
  }

 private:
  std::unique_ptr<Prefetch> input_;
  std::string name_;
  std::function<BlobCheck()> check_blob_;
  ZSTD_DCtx* context_;
  bool frame_open_ = false;
};

}  // namespace

std::unique_ptr<ByteReader> OpenDecompressed(ByteReader* raw, const std::string& name,
                                             Compression* detected,
                                             std::function<BlobCheck()> check_blob,
                                             std::atomic<int64_t>* trailing_at) {
  auto input = std::make_unique<Prefetch>(raw);
  input->Fill(4);
  const uint8_t* magic = input->data();
  size_t have = input->size();

  if (have >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
    *detected = Compression::kGzip;
    return std::make_unique<GzipReader>(std::move(input), name, std::move(check_blob),
                                        trailing_at);
  }
  if (have >= 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd) {
    *detected = Compression::kZstd;
    return std::make_unique<ZstdReader>(std::move(input), name, std::move(check_blob));
  }
  if (have >= 4 && magic[0] == 0xfd && magic[1] == '7' && magic[2] == 'z' && magic[3] == 'X')
    Fail("{} is xz-compressed; OCI layers are gzip, zstd or uncompressed", name);
  if (have >= 3 && magic[0] == 'B' && magic[1] == 'Z' && magic[2] == 'h')
    Fail("{} is bzip2-compressed; OCI layers are gzip, zstd or uncompressed", name);
  *detected = Compression::kNone;
  return std::make_unique<PlainReader>(std::move(input));
}

}  // namespace strata
