// test-image-processor.cpp — image/processor.h against the Python re-statement of the published Idefics3/SmolVLM
// processor (tools/ref/idefics3_processor.py, which resizes with Pillow 9.4's LANCZOS), through its fixtures in
// tests/fixtures/vision: sizes, rows x cols and the prompt layout for 64 (image size, setting) cases, among them
// SmolVLM-256M's (longest edge 2048, tile 512); and the tiles' pixels, byte for byte, for three images (upscaled,
// downscaled and split, tall) at a small setting (longest edge 96, tile 32).
#include <gtest/gtest.h>

#include <cmath>

#include "core/file.h"
#include "core/json.h"
#include "image/image.h"
#include "image/processor.h"

using namespace sotto;
using namespace sotto::image;

namespace {

const std::string kDir = std::string(SOTTO_SOURCE_DIR) + "/tests/fixtures/vision/";

json::Value fixture() { return json::parse(read_file(kDir + "processor.json"), "processor.json"); }

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + what.size())) n++;
  return n;
}

TEST(ImageProcessor, SizesAndLayoutMatchTheReference) {
  const json::Value fx = fixture();
  int n = 0;
  for (const json::Value& c : fx.at("layout").arr()) {
    ProcessorConfig cfg;
    cfg.longest_edge = int(c.at("longest_edge").integer());
    cfg.tile = int(c.at("tile").integer());
    const int w = int(c.at("width").integer()), h = int(c.at("height").integer());
    const std::string at = std::to_string(w) + "x" + std::to_string(h) + " @" + std::to_string(cfg.longest_edge) + "/" +
                           std::to_string(cfg.tile);
    const ResizePlan p = plan_resize(w, h, cfg);
    EXPECT_EQ(p.w1, c.at("w1").integer()) << at;
    EXPECT_EQ(p.h1, c.at("h1").integer()) << at;
    EXPECT_EQ(p.w2, c.at("w2").integer()) << at;
    EXPECT_EQ(p.h2, c.at("h2").integer()) << at;
    const bool split = p.w2 > cfg.tile || p.h2 > cfg.tile;
    const int rows = split ? (p.h2 + cfg.tile - 1) / cfg.tile : 0, cols = split ? (p.w2 + cfg.tile - 1) / cfg.tile : 0;
    EXPECT_EQ(rows, c.at("rows").integer()) << at;
    EXPECT_EQ(cols, c.at("cols").integer()) << at;
    EXPECT_EQ(image_prompt(rows, cols, 3), c.at("prompt3").str()) << at;
    EXPECT_EQ(int64_t(count(image_prompt(rows, cols, 64), "<image>")), c.at("n_image_tokens_64").integer()) << at;
    n++;
  }
  EXPECT_EQ(n, 64);
}

TEST(ImageProcessor, SmolVlmDefaultsOnAPhoto) {
  // 640 x 480 at SmolVLM-256M's settings: 2048 x 1536 -> 4 x 3 tiles + global = 13 tiles, 13 x 64 <image> tokens.
  ProcessorConfig cfg;
  const ResizePlan p = plan_resize(640, 480, cfg);
  EXPECT_EQ(p.w1, 2048);
  EXPECT_EQ(p.h1, 1536);
  EXPECT_EQ(p.w2, 2048);
  EXPECT_EQ(p.h2, 1536);
  const std::string s = image_prompt(3, 4, 64);
  EXPECT_EQ(count(s, "<image>"), 13u * 64u);
  EXPECT_EQ(count(s, "<fake_token_around_image>"), 14u);
  EXPECT_EQ(count(s, "<global-img>"), 1u);
  EXPECT_EQ(s.substr(0, 36), "<fake_token_around_image><row_1_col_");
  EXPECT_NE(s.find("<row_3_col_4>"), std::string::npos);
  EXPECT_EQ(image_prompt(0, 0, 2), "<fake_token_around_image><global-img><image><image><fake_token_around_image>");
}

TEST(ImageProcessor, TilesMatchPillowBitForBit) {
  const json::Value fx = fixture();
  for (const json::Value& c : fx.at("pixels").arr()) {
    const std::string name = c.at("name").str();
    ProcessorConfig cfg;
    cfg.longest_edge = int(c.at("longest_edge").integer());
    cfg.tile = int(c.at("tile").integer());
    const Rgb8 img = load_image(kDir + "processor-" + name + ".png");
    const Processed out = process(img, cfg);
    EXPECT_EQ(out.rows, c.at("rows").integer()) << name;
    EXPECT_EQ(out.cols, c.at("cols").integer()) << name;
    ASSERT_EQ(int64_t(out.tiles.size()), c.at("n_tiles").integer()) << name;
    const std::string want = read_file(kDir + "processor-" + name + ".tiles");
    const size_t tile_bytes = size_t(cfg.tile) * size_t(cfg.tile) * 3;
    ASSERT_EQ(want.size(), tile_bytes * out.tiles.size()) << name;
    for (size_t t = 0; t < out.tiles.size(); t++) {
      ASSERT_EQ(out.tiles[t].width, cfg.tile);
      ASSERT_EQ(out.tiles[t].height, cfg.tile);
      int n_diff = 0, max_diff = 0;
      for (size_t i = 0; i < tile_bytes; i++) {
        const int d = std::abs(int(out.tiles[t].pixels[i]) - int(uint8_t(want[t * tile_bytes + i])));
        n_diff += d != 0;
        max_diff = std::max(max_diff, d);
      }
      EXPECT_EQ(n_diff, 0) << name << " tile " << t << ": " << n_diff << " bytes differ, by up to " << max_diff;
    }
  }
}

TEST(ImageProcessor, PixelValuesRescaleAndNormalise) {
  Rgb8 t;
  t.width = 2;
  t.height = 1;
  t.pixels = {0, 255, 51, 102, 204, 128};
  ProcessorConfig cfg;
  const std::vector<float> v = pixel_values(t, cfg);  // [3][1][2]
  const float want[6] = {-1.0f, 0.4f * 2 - 1, 1.0f, 0.8f * 2 - 1, 0.2f * 2 - 1, 128.0f / 255 * 2 - 1};  // R R G G B B
  for (int i = 0; i < 6; i++) EXPECT_NEAR(v[size_t(i)], want[i], 1e-6f) << i;
}

}  // namespace
