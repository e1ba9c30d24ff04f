// Reading layer blobs: compression by magic bytes, tar variants, whiteout
// decoding, path cleaning, digests over the whole stream.
#include "layer/layer_reader.h"

#include <fmt/core.h>
#include <gtest/gtest.h>

#include "base/error.h"
#include "blob/sha256.h"
#include "base/units.h"
#include "test_support.h"

namespace strata {
namespace {

using testing::Gzip;
using testing::MakeTar;
using testing::ReadTar;
using testing::TarMember;
using testing::Zstd;

const LayerEntry* FindEntry(const LayerContents& layer, const std::string& path) {
  for (const LayerEntry& entry : layer.entries)
    if (entry.path == path) return &entry;
  return nullptr;
}

std::string SampleTar() {
  return MakeTar({{"etc/", '5', "", "", 0755},
                  {"etc/passwd", '0', "root:x:0:0::/root:/bin/sh\n"},
                  {"bin/sh", '2', "", "busybox"},
                  {"bin/ls", '1', "", "etc/passwd"},
                  {"run/fifo", '6'}});
}

TEST(LayerReader, PlainTarEntriesAndDigests) {
  std::string tar = SampleTar();
  LayerContents layer = ReadTar(tar);
  EXPECT_EQ(layer.compression, Compression::kNone);
  EXPECT_EQ(layer.diff_id, Sha256Of(tar));
  EXPECT_EQ(layer.blob_digest, Sha256Of(tar));
  ASSERT_EQ(layer.entries.size(), 5u);

  EXPECT_EQ(FindEntry(layer, "etc")->kind, EntryKind::kDirectory);
  EXPECT_EQ(FindEntry(layer, "etc")->mode, 0755u);
  EXPECT_EQ(FindEntry(layer, "etc/passwd")->size, 26);
  EXPECT_EQ(FindEntry(layer, "bin/sh")->kind, EntryKind::kSymlink);
  EXPECT_EQ(FindEntry(layer, "bin/sh")->link(), "busybox");
  EXPECT_EQ(FindEntry(layer, "bin/ls")->kind, EntryKind::kHardlink);
  EXPECT_EQ(FindEntry(layer, "bin/ls")->link(), "etc/passwd");
  EXPECT_EQ(FindEntry(layer, "run/fifo")->kind, EntryKind::kFifo);
}

TEST(LayerReader, GzipAndZstdAreFoundByMagicBytes) {
  std::string tar = SampleTar();
  std::string gz = Gzip(tar);
  LayerContents gzip_layer = ReadTar(gz);
  EXPECT_EQ(gzip_layer.compression, Compression::kGzip);
  EXPECT_EQ(gzip_layer.diff_id, Sha256Of(tar));
  EXPECT_EQ(gzip_layer.blob_digest, Sha256Of(gz));
  EXPECT_EQ(gzip_layer.entries.size(), 5u);

  LayerContents zstd_layer = ReadTar(Zstd(tar));
  EXPECT_EQ(zstd_layer.compression, Compression::kZstd);
  EXPECT_EQ(zstd_layer.diff_id, Sha256Of(tar));
}

TEST(LayerReader, MultiMemberGzipIsReadToTheEnd) {
  std::string tar = SampleTar();
  size_t half = tar.size() / 2;
  std::string two_members = Gzip(tar.substr(0, half)) + Gzip(tar.substr(half));
  LayerContents layer = ReadTar(two_members);
  EXPECT_EQ(layer.diff_id, Sha256Of(tar));
  EXPECT_EQ(layer.entries.size(), 5u);
}

// Found by a user trial: bytes after the last gzip member (garbage, zero
// padding) were ignored in silence, as gzip(1) ignores them; Go's reader,
// and with it containerd and Docker, refuses such a blob. The blob digest
// covers them; the layer warns of them.
TEST(LayerReader, BytesAfterTheGzipDataAreWarnedOf) {
  std::string tar = SampleTar();
  std::string gz = Gzip(tar);
  for (const std::string& after : {std::string("GARBAGE"), std::string(1024, '\0'),
                                   std::string(1, 'x'), std::string(300000, 'y')}) {
    LayerContents layer = ReadTar(gz + after);
    EXPECT_EQ(layer.diff_id, Sha256Of(tar));
    EXPECT_EQ(layer.blob_digest, Sha256Of(gz + after));
    ASSERT_EQ(layer.warnings.size(), 1u) << after.size();
    EXPECT_EQ(layer.warnings[0],
              fmt::format("its blob has {} after the end of its gzip data, which strata ignores "
                          "as gzip does; Go's gzip reader (containerd, Docker) refuses them, so "
                          "the image may fail to pull",
                          Count(static_cast<int64_t>(after.size()), "byte")));
  }
  // Members that follow are data, not trailing bytes.
  size_t half = tar.size() / 2;
  EXPECT_TRUE(ReadTar(Gzip(tar.substr(0, half)) + Gzip(tar.substr(half))).warnings.empty());
  EXPECT_TRUE(ReadTar(gz).warnings.empty());
}

TEST(LayerReader, MultiFrameZstdIsReadToTheEnd) {
  std::string tar = SampleTar();
  size_t half = tar.size() / 2;
  LayerContents layer = ReadTar(Zstd(tar.substr(0, half)) + Zstd(tar.substr(half)));
  EXPECT_EQ(layer.diff_id, Sha256Of(tar));
}

TEST(LayerReader, BytesAfterTheEndMarkerAreHashed) {
  // eStargz keeps a table of contents after the tar end marker; the diff_id
  // covers it.
  std::string tar = SampleTar() + std::string(512, 'T');
  LayerContents layer = ReadTar(Gzip(tar));
  EXPECT_EQ(layer.diff_id, Sha256Of(tar));
  EXPECT_EQ(layer.tar_size, static_cast<int64_t>(tar.size()));
}

TEST(LayerReader, TruncatedGzipIsAnError) {
  std::string gz = Gzip(SampleTar() + std::string(100000, 'x'));
  EXPECT_THROW(ReadTar(gz.substr(0, gz.size() / 2)), Error);
}

TEST(LayerReader, CorruptZstdIsAnError) {
  std::string zst = Zstd(SampleTar());
  zst[zst.size() / 2] ^= 0x55;
  zst[zst.size() / 2 + 1] ^= 0x55;
  EXPECT_THROW(ReadTar(zst), Error);
}

TEST(LayerReader, NotATarIsAnErrorNamingTheLayer) {
  try {
    ReadTar(std::string("{\"this is\": \"json, not a layer\"}") + std::string(600, ' '));
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("test layer"), std::string::npos) << error.what();
  }
}

TEST(LayerReader, EmptyLayerHasNoEntries) {
  LayerContents layer = ReadTar(MakeTar({}));
  EXPECT_TRUE(layer.entries.empty());
}

TEST(LayerReader, WhiteoutsAreDecoded) {
  LayerContents layer = ReadTar(MakeTar(
      {{"a/.wh.gone", '0'}, {"a/.wh..wh..opq", '0'}, {".wh.top", '0'}, {"a/.wh..wh.plnk", '0'}}));
  ASSERT_EQ(layer.entries.size(), 3u);
  EXPECT_EQ(layer.entries[0].kind, EntryKind::kWhiteout);
  EXPECT_EQ(layer.entries[0].path, "a/gone");
  EXPECT_EQ(layer.entries[1].kind, EntryKind::kOpaque);
  EXPECT_EQ(layer.entries[1].path, "a");
  EXPECT_EQ(layer.entries[2].path, "top");
}

// A bare ".wh." removes its own directory (unpackers join the empty name
// to it); its stored name is kept, since the decoded whiteout looks like
// any other whiteout of that directory.
TEST(LayerReader, BareWhiteoutNamesItsOwnDirectory) {
  LayerContents layer = ReadTar(MakeTar({{"a/b/.wh.", '0'}, {"a/.wh.b", '0'}, {".wh.", '0'}}));
  ASSERT_EQ(layer.entries.size(), 3u);
  EXPECT_EQ(layer.entries[0].kind, EntryKind::kWhiteout);
  EXPECT_EQ(layer.entries[0].path, "a/b");
  EXPECT_EQ(layer.StoredName(layer.entries[0]), "a/b/.wh.");
  EXPECT_EQ(layer.entries[1].path, "a/b");
  EXPECT_EQ(layer.StoredName(layer.entries[1]), "");
  EXPECT_EQ(layer.entries[2].kind, EntryKind::kWhiteout);
  EXPECT_EQ(layer.entries[2].path, "");
  EXPECT_EQ(layer.StoredName(layer.entries[2]), ".wh.");
}

TEST(LayerReader, LongNamesInPaxAndGnuFormats) {
  std::string long_dir(150, 'd');
  std::string long_name = long_dir + "/" + std::string(250, 'n');
  for (bool gnu : {false, true}) {
    LayerContents layer =
        ReadTar(MakeTar({{long_name, '0', "x"}, {"l", '2', "", std::string(200, 't')}}, gnu));
    ASSERT_EQ(layer.entries.size(), 2u) << "gnu=" << gnu;
    EXPECT_EQ(layer.entries[0].path, long_name);
    EXPECT_EQ(layer.entries[1].link(), std::string(200, 't'));
  }
}

TEST(LayerReader, PathsAreCleanedAndEscapesFlagged) {
  LayerContents layer = ReadTar(MakeTar({{"./etc/./x", '0', "1"},
                                         {"/abs/path", '0', "2"},
                                         {"a/../../../etc/shadow", '0', "3"},
                                         {"./", '5'}}));
  ASSERT_EQ(layer.entries.size(), 4u);
  EXPECT_EQ(layer.entries[0].path, "etc/x");
  EXPECT_FALSE(layer.entries[0].path_escaped);
  EXPECT_EQ(layer.entries[1].path, "abs/path");
  EXPECT_TRUE(layer.entries[1].path_escaped);
  EXPECT_EQ(layer.entries[2].path, "etc/shadow");
  EXPECT_TRUE(layer.entries[2].path_escaped);
  EXPECT_EQ(layer.entries[3].path, "");
}

TEST(LayerReader, PaxExtendedAttributesAreKept) {
  TarMember ping{"bin/ping", '0', "elf", "", 0755};
  ping.xattr_name = "security.capability";
  ping.xattr_value = std::string("\x01\x00\x00\x02\x00\x20\x00\x00", 8);
  LayerContents layer = ReadTar(MakeTar({ping}));
  ASSERT_EQ(layer.entries.size(), 1u);
  ASSERT_EQ(layer.entries[0].xattrs().size(), 1u);
  EXPECT_EQ(layer.entries[0].xattrs()[0].first, "security.capability");
  EXPECT_EQ(layer.entries[0].xattrs()[0].second, ping.xattr_value);
}

TEST(LayerReader, ContentHashTellsRewritesFromCopies) {
  LayerContents layer =
      ReadTar(MakeTar({{"a", '0', "same"}, {"b", '0', "same"}, {"c", '0', "diff"}}));
  EXPECT_EQ(layer.entries[0].content_hash, layer.entries[1].content_hash);
  EXPECT_NE(layer.entries[0].content_hash, layer.entries[2].content_hash);
}

}  // namespace
}  // namespace strata
