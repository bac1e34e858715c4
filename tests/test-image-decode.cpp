// test-image-decode.cpp — image/image.h: PNG and JPEG decoding into upright RGB8 against what Pillow shows for the
// same files (tests/fixtures/vision/images-*, made by tools/ref/idefics3_processor.py): every EXIF orientation 1..8
// (JPEG, Pillow's ImageOps.exif_transpose; both decode with libjpeg-turbo, tolerance 2 per byte), grey, palette and
// RGBA PNGs (alpha over white with Pillow's alpha_composite arithmetic: exact); and
// one-line errors, never a crash or a hang: a missing file, an empty one, a truncated PNG and JPEG, corrupt bytes,
// other formats by name, and an enormous header refused before any pixel is decoded.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/file.h"
#include "image/image.h"

using namespace sotto;
using namespace sotto::image;

namespace {

const std::string kDir = std::string(SOTTO_SOURCE_DIR) + "/tests/fixtures/vision/";

int max_diff(const Rgb8& a, const Rgb8& b) {
  EXPECT_EQ(a.width, b.width);
  EXPECT_EQ(a.height, b.height);
  if (a.pixels.size() != b.pixels.size()) return 256;
  int m = 0;
  for (size_t i = 0; i < a.pixels.size(); i++) m = std::max(m, std::abs(int(a.pixels[i]) - int(b.pixels[i])));
  return m;
}

std::string error_of(const std::string& bytes, const std::string& name, uint64_t max_pixels = kMaxPixels) {
  try {
    decode_memory(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), name, max_pixels);
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    EXPECT_EQ(msg.rfind(name, 0), 0u) << "names the file: " << msg;
    return msg;
  }
  ADD_FAILURE() << name << ": decoded without an error";
  return "";
}

TEST(ImageDecode, ExifOrientationMatchesPillow) {
  for (int o = 1; o <= 8; o++) {
    const std::string jpg = kDir + "images-orient-" + std::to_string(o) + ".jpg";
    const std::string bytes = read_file(jpg);
    const ImageInfo info = read_info_memory(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), jpg);
    EXPECT_EQ(info.format, Format::jpeg);
    EXPECT_EQ(info.orientation, o);
    EXPECT_EQ(info.width, 24);
    EXPECT_EQ(info.height, 16);
    const Rgb8 got = load_image(jpg);
    const Rgb8 want = load_image(kDir + "images-orient-" + std::to_string(o) + ".expected.png");
    EXPECT_EQ(got.width, o >= 5 ? 16 : 24) << o;
    EXPECT_LE(max_diff(got, want), 2) << "orientation " << o;
  }
}

TEST(ImageDecode, PngKindsMatchPillow) {
  for (const char* k : {"grey", "palette", "rgba"}) {
    const Rgb8 got = load_image(kDir + "images-" + k + ".png");
    const Rgb8 want = load_image(kDir + "images-" + k + ".expected.png");
    EXPECT_EQ(max_diff(got, want), 0) << k;
  }
}

TEST(ImageDecode, OneLineErrors) {
  EXPECT_THROW(load_image(kDir + "no-such-image.png"), Error);
  EXPECT_NE(error_of("", "empty.png").find("empty file"), std::string::npos);
  EXPECT_NE(error_of("hello, not an image", "x.jpg").find("not a PNG or JPEG"), std::string::npos);
  EXPECT_NE(error_of("GIF89a\x01\x00\x01\x00", "x.gif").find("GIF images are not supported"), std::string::npos);
  EXPECT_NE(error_of(std::string("RIFF\0\0\0\0WEBPVP8 ", 16), "x.webp").find("WebP"), std::string::npos);

  const std::string png = read_file(kDir + "processor-wide.png");
  const std::string jpg = read_file(kDir + "images-orient-1.jpg");
  for (size_t cut : {size_t(8), size_t(30), png.size() / 2, png.size() - 13}) {
    EXPECT_FALSE(error_of(png.substr(0, cut), "cut.png").empty()) << cut;
  }
  for (size_t cut : {size_t(3), size_t(100), jpg.size() / 2, jpg.size() - 2}) {
    EXPECT_FALSE(error_of(jpg.substr(0, cut), "cut.jpg").empty()) << cut;
  }
  for (size_t n : {jpg.size() / 2, jpg.size() - 20}) {
    const std::string cut = error_of(jpg.substr(0, n), "cut.jpg");
    EXPECT_NE(cut.find("truncated"), std::string::npos) << cut;
  }
  std::string bad = png;
  for (size_t i = 60; i < bad.size() - 20; i += 7) bad[i] = char(bad[i] ^ 0x5a);
  EXPECT_FALSE(error_of(bad, "bad.png").empty());
  bad = jpg;
  for (size_t i = bad.size() / 3; i < bad.size() - 4; i += 5) bad[i] = char(0xff);
  EXPECT_FALSE(error_of(bad, "bad.jpg").empty());
}

TEST(ImageDecode, EnormousImagesAreRefusedFromTheHeader) {
  // A PNG whose header says 65535 x 65535 (12 GiB of RGB): refused by the limit, not by running out of memory.
  std::string png = read_file(kDir + "processor-wide.png");
  const uint8_t big[8] = {0, 0, 0xff, 0xff, 0, 0, 0xff, 0xff};
  std::memcpy(&png[16], big, 8);
  // IHDR's CRC is left stale: the limit must be checked whether or not libpng looks at it, so fix it up.
  uint32_t crc = 0xffffffffu;
  for (size_t i = 12; i < 29; i++) {
    crc ^= uint8_t(png[i]);
    for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  crc ^= 0xffffffffu;
  for (int k = 0; k < 4; k++) png[29 + size_t(k)] = char(crc >> (24 - 8 * k));
  const std::string msg = error_of(png, "huge.png");
  EXPECT_NE(msg.find("65535 x 65535"), std::string::npos) << msg;
  EXPECT_NE(msg.find("more than the limit"), std::string::npos) << msg;
  // The same limit for a JPEG: a real file over a lower limit.
  const std::string jpg = read_file(kDir + "images-orient-1.jpg");
  EXPECT_NE(error_of(jpg, "small.jpg", 100).find("more than the limit of 100"), std::string::npos);
}

}  // namespace
