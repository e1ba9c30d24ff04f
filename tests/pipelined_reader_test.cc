// Decompressing on a thread of its own: the same bytes as reading inline,
// errors handed over intact, and a producer that stops when the reader
// goes away early.
#include "blob/pipelined_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>

#include "base/error.h"
#include "blob/sha256.h"
#include "layer/layer_cursor.h"
#include "layer/layer_reader.h"
#include "test_support.h"

namespace strata {
namespace {

using testing::Gzip;
using testing::MakeTar;
using testing::TarMember;
using testing::Zstd;

// Bytes that compress (words) but not to nothing (a varying mix of them).
std::string SampleBytes(size_t size, uint32_t seed) {
  static const char* const kWords[] = {"layer ", "blob ", "digest ", "whiteout\n", "tar ", "\0\1"};
  std::string out;
  out.reserve(size + 16);
  uint32_t state = seed * 2654435761u + 1;
  while (out.size() < size) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    out += kWords[state % 6];
    if (state % 7 == 0) out += static_cast<char>(state >> 24);
  }
  out.resize(size);
  return out;
}

// A tar of |files| files of 1 MiB each: past the pipeline's inline start.
std::string BigTar(int files) {
  std::vector<TarMember> members = {{"usr/", '5', "", "", 0755}};
  for (int i = 0; i < files; ++i)
    members.push_back({"usr/lib/part" + std::to_string(i), '0', SampleBytes(1 << 20, i)});
  members.push_back({"usr/lib/.wh.gone", '0'});
  return MakeTar(members);
}

// Hands out |data| in short, uneven reads, and notes the threads that read.
class ChoppyReader : public ByteReader {
 public:
  explicit ChoppyReader(std::string data) : data_(std::move(data)) {}

  size_t Read(void* buffer, size_t size) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      threads_.insert(std::this_thread::get_id());
    }
    size_t count = std::min({size, data_.size() - offset_, 1 + (offset_ * 7919) % 70000});
    std::memcpy(buffer, data_.data() + offset_, count);
    offset_ += count;
    return count;
  }

  std::set<std::thread::id> threads() {
    std::lock_guard<std::mutex> lock(mutex_);
    return threads_;
  }

 private:
  std::string data_;
  size_t offset_ = 0;
  std::mutex mutex_;
  std::set<std::thread::id> threads_;
};

// Returns |good| bytes of zeros, then throws an Error.
class FailingReader : public ByteReader {
 public:
  explicit FailingReader(size_t good) : good_(good) {}
  size_t Read(void* buffer, size_t size) override {
    if (given_ == good_) Fail("blob 7: corrupt gzip data (ISA-L status -3)");
    size_t count = std::min(size, good_ - given_);
    std::memset(buffer, 0, count);
    given_ += count;
    return count;
  }

 private:
  size_t good_;
  size_t given_ = 0;
};

// Never ends; counts what it hands out.
class EndlessReader : public ByteReader {
 public:
  explicit EndlessReader(std::atomic<int64_t>* given) : given_(given) {}
  size_t Read(void* buffer, size_t size) override {
    std::memset(buffer, 'x', size);
    given_->fetch_add(static_cast<int64_t>(size));
    return size;
  }

 private:
  std::atomic<int64_t>* given_;
};

// Reads |reader| to the end in reads of |chunk| bytes.
std::string Drain(ByteReader& reader, size_t chunk) {
  std::string out;
  std::string buffer(chunk, '\0');
  while (size_t got = reader.Read(buffer.data(), buffer.size())) out.append(buffer.data(), got);
  return out;
}

LayerContents ReadBlob(const std::string& blob, ReadLimits limits = ReadLimits(),
                       std::atomic<int64_t>* bytes_read = nullptr) {
  ViewReader reader(blob);
  LayerReadOptions options;
  options.name = "test layer";
  options.limits = limits;
  options.bytes_read = bytes_read;
  return ReadLayer(reader, options);
}

TEST(PipelinedReader, SameBytesWhateverTheShape) {
  std::string data = SampleBytes(3 << 20, 1);
  const PipelineShape shapes[] = {
      {.buffers = 1, .buffer_size = 1, .inline_bytes = 0},
      {.buffers = 2, .buffer_size = 4096, .inline_bytes = 0},
      {.buffers = 4, .buffer_size = 65536, .inline_bytes = 100000},
      {},  // The default: all of it inline.
  };
  for (const PipelineShape& shape : shapes) {
    SCOPED_TRACE(shape.buffer_size);
    // One-byte buffers hand over once per byte: a shorter stream for them.
    std::string expected = shape.buffer_size == 1 ? data.substr(0, 5000) : data;
    PipelinedReader reader(std::make_unique<ChoppyReader>(expected), shape);
    EXPECT_EQ(Drain(reader, shape.buffer_size == 1 ? 4096 : 1000), expected);
    char byte;
    EXPECT_EQ(reader.Read(&byte, 1), 0u) << "a read after the end reads nothing";
  }
}

TEST(PipelinedReader, SmallStreamsStayOnTheCallersThread) {
  PipelineShape shape{.buffers = 2, .buffer_size = 65536, .inline_bytes = 1 << 20};
  auto small = std::make_unique<ChoppyReader>(SampleBytes(500000, 2));
  ChoppyReader* small_inner = small.get();
  PipelinedReader small_reader(std::move(small), shape);
  Drain(small_reader, 65536);
  EXPECT_EQ(small_inner->threads(), std::set<std::thread::id>{std::this_thread::get_id()});

  auto big = std::make_unique<ChoppyReader>(SampleBytes(3 << 20, 3));
  ChoppyReader* big_inner = big.get();
  PipelinedReader big_reader(std::move(big), shape);
  Drain(big_reader, 65536);
  EXPECT_EQ(big_inner->threads().size(), 2u) << "the rest is read by the producer";
}

TEST(PipelinedReader, ProducerErrorArrivesAfterTheBytesBeforeIt) {
  PipelineShape shape{.buffers = 3, .buffer_size = 4096, .inline_bytes = 0};
  PipelinedReader reader(std::make_unique<FailingReader>(100000), shape);
  std::string buffer(1000, '\1');
  size_t total = 0;
  std::string message;
  try {
    while (true) {
      size_t got = reader.Read(buffer.data(), buffer.size());
      ASSERT_GT(got, 0u) << "the stream must not look complete";
      total += got;
    }
  } catch (const Error& error) {
    message = error.what();
  }
  EXPECT_EQ(total, 100000u);
  EXPECT_EQ(message, "blob 7: corrupt gzip data (ISA-L status -3)");
  EXPECT_THROW(reader.Read(buffer.data(), buffer.size()), Error) << "and again on the next read";
}

TEST(PipelinedReader, DestroyedMidwayStopsTheProducer) {
  std::atomic<int64_t> given{0};
  PipelineShape shape{.buffers = 4, .buffer_size = 65536, .inline_bytes = 0};
  {
    PipelinedReader reader(std::make_unique<EndlessReader>(&given), shape);
    char buffer[1000];
    ASSERT_EQ(reader.Read(buffer, sizeof buffer), sizeof buffer);
    // Let the producer fill the ring and wait for room.
    while (given.load() < 4 * 65536) std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }  // Hangs here if the producer does not stop.
  // The ring bounds the read-ahead: five buffers (four full, one held).
  EXPECT_LE(given.load(), 5 * 65536);
}

TEST(PipelinedReader, NeverStartedIsFine) {
  std::atomic<int64_t> given{0};
  { PipelinedReader reader(std::make_unique<EndlessReader>(&given)); }
  EXPECT_EQ(given.load(), 0);
}

// The layer reader pipelines compressed layers past 8 MiB: everything it
// reports must equal the uncompressed tar's, read without a thread.
TEST(PipelinedReader, LayerReadsAsTheUncompressedTar) {
  std::string tar = BigTar(20);
  LayerContents plain = ReadBlob(tar);
  ASSERT_EQ(plain.entries.size(), 22u);
  ASSERT_EQ(plain.diff_id, Sha256Of(tar));
  ASSERT_EQ(plain.blob_digest, plain.diff_id) << "read ahead on a thread, hashed all the same";

  for (const std::string& blob : {Gzip(tar), Zstd(tar)}) {
    std::atomic<int64_t> bytes_read{0};
    LayerContents piped = ReadBlob(blob, ReadLimits(), &bytes_read);
    EXPECT_NE(piped.compression, Compression::kNone);
    EXPECT_EQ(piped.diff_id, plain.diff_id);
    EXPECT_EQ(piped.tar_size, static_cast<int64_t>(tar.size()));
    EXPECT_EQ(piped.blob_digest, Sha256Of(blob));
    EXPECT_EQ(piped.blob_size, static_cast<int64_t>(blob.size()));
    EXPECT_EQ(bytes_read.load(), static_cast<int64_t>(blob.size())) << "progress counts it all";
    ASSERT_EQ(piped.entries.size(), plain.entries.size());
    for (size_t i = 0; i < plain.entries.size(); ++i) {
      EXPECT_EQ(piped.entries[i].path, plain.entries[i].path);
      EXPECT_EQ(piped.entries[i].kind, plain.entries[i].kind);
      EXPECT_EQ(piped.entries[i].content_hash, plain.entries[i].content_hash);
    }
  }
}

TEST(PipelinedReader, LayerDecompressionErrorsKeepTheirMessage) {
  std::string gz = Gzip(BigTar(16));
  std::string truncated = gz.substr(0, gz.size() * 3 / 4);
  EXPECT_THROW(
      {
        try {
          ReadBlob(truncated);
        } catch (const Error& error) {
          EXPECT_STREQ(error.what(),
                       "test layer: gzip stream ends early: truncated or corrupt (the image names "
                       "no digest to tell which)");
          throw;
        }
      },
      Error);

  // A wrong CRC-32 in the gzip trailer, met by the producer at the very
  // end, after the consumer has parsed every entry.
  std::string corrupt = gz;
  corrupt[gz.size() - 8] = static_cast<char>(corrupt[gz.size() - 8] ^ 0x55);
  EXPECT_THROW(
      {
        try {
          ReadBlob(corrupt);
        } catch (const Error& error) {
          EXPECT_STRNE(strstr(error.what(), "test layer: corrupt gzip data"), nullptr)
              << error.what();
          throw;
        }
      },
      Error);
}

// The consumer fails (a limit) while the producer runs ahead: the read
// stops promptly, with the limit's message, and the read-ahead stays
// within the ring instead of inflating the rest of the layer.
TEST(PipelinedReader, LayerLimitStopsTheProducer) {
  std::string gz = Gzip(BigTar(40));
  ReadLimits limits;
  limits.max_layer_bytes = 12 << 20;
  std::atomic<int64_t> bytes_read{0};
  try {
    ReadBlob(gz, limits, &bytes_read);
    FAIL() << "the limit was not enforced";
  } catch (const Error& error) {
    EXPECT_STREQ(error.what(),
                 "test layer expands to more than 12582912 bytes; raise --max-layer-bytes to "
                 "read it");
  }
  EXPECT_LT(bytes_read.load(), static_cast<int64_t>(gz.size()) / 2);
}

// The message of reading |blob| as a layer the image names by |digest|.
std::string ReadError(const std::string& blob, const std::string& digest) {
  ViewReader reader(blob);
  LayerReadOptions options;
  options.name = "test layer";
  options.blob_digest = digest;
  try {
    ReadLayer(reader, options);
  } catch (const Error& error) {
    return error.what();
  }
  return "no error";
}

// A big layer decompressed on its own thread that ends early: truncated
// when the blob still hashes to the digest the image names (it was cut
// before), corrupt when not (a flipped bit made the decoder read on), and
// either when the image names none. Past 8 MiB the blob is hashed on
// another thread than the one that asks for its digest.
TEST(PipelinedReader, EarlyEndIsTruncatedOnlyWhenTheBlobMatchesItsDigest) {
  std::string tar = BigTar(64);
  for (const auto& [format, whole] : {std::pair{"gzip", Gzip(tar)}, {"zstd", Zstd(tar)}}) {
    SCOPED_TRACE(format);
    std::string cut = whole.substr(0, whole.size() - 4096);
    ASSERT_GT(cut.size(), size_t{8} << 20) << "the blob must be hashed on a thread";
    EXPECT_EQ(ReadError(cut, Sha256Of(cut)),
              fmt::format("test layer: {} stream is truncated", format));
    EXPECT_EQ(ReadError(cut, Sha256Of(whole)),
              fmt::format("test layer: blob digest mismatch: the manifest says {}, the bytes "
                          "hash to {} (read as they are, corrupt {} data: decoding runs past "
                          "the blob's end)",
                          Sha256Of(whole), Sha256Of(cut), format));
    EXPECT_EQ(ReadError(cut, ""),
              fmt::format("test layer: {} stream ends early: truncated or corrupt (the image "
                          "names no digest to tell which)",
                          format));
  }
}

// A cursor given up after a few entries (the file commands stop at the
// file they want) joins its threads on the way out: no hang, and the
// sanitizer builds see no race or leak.
TEST(PipelinedReader, CursorGivenUpMidwayJoinsItsThreads) {
  std::string tar = BigTar(24);
  for (const std::string& blob : {Gzip(tar), Zstd(tar), tar}) {
    ViewReader reader(blob);
    LayerCursor cursor(&reader, "test layer");
    LayerEntry entry;
    for (int i = 0; i < 12; ++i) ASSERT_TRUE(cursor.Next(&entry));
    EXPECT_EQ(entry.path, "usr/lib/part10");
  }
}

// `--threads 1` (LayerReadOptions::pipelined false): a big compressed layer
// is read on the caller's thread alone; by default its blob is read on
// another.
TEST(PipelinedReader, UnpipelinedLayerStaysOnTheCallersThread) {
  std::string gz = Gzip(BigTar(24));
  for (bool pipelined : {false, true}) {
    ChoppyReader blob(gz);
    LayerReadOptions options;
    options.name = "test layer";
    options.pipelined = pipelined;
    LayerContents layer = ReadLayer(blob, options);
    EXPECT_EQ(layer.entries.size(), 26u);

    std::set<std::thread::id> threads = blob.threads();
    bool only_caller = threads == std::set<std::thread::id>{std::this_thread::get_id()};
    EXPECT_EQ(only_caller, !pipelined) << "pipelined " << pipelined;
  }
}

}  // namespace
}  // namespace strata
