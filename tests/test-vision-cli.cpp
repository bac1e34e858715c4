// test-vision-cli.cpp — `sotto info` on an mmproj file and `sotto image-embed` (layout only, and with the tiny vision
// fixture: shape, --out size and values equal to the library's), plus their one-line errors (exit 1 for a bad file,
// 2 for a usage mistake).
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "cli-run.h"
#include "core/file.h"
#include "core/gguf.h"
#include "core/thread-pool.h"
#include "image/image.h"
#include "image/processor.h"
#include "models/siglip.h"

using namespace cli_run;

namespace {

const std::string kDir = std::string(SOTTO_SOURCE_DIR) + "/tests/fixtures/vision/";

class VisionCli : public CliTest {
 protected:
  VisionCli() : CliTest("vision-cli") {}
};

TEST_F(VisionCli, InfoDescribesAnMmprojFile) {
  const Result r = run("info " + kDir + "tiny-mmproj-f16.gguf");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("vision projector idefics3: image 64 x 64, patch 8 (64 patches), n_embd 32"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("pixel shuffle 4 -> 4 tokens a tile of 512 features, projected to 48"), std::string::npos) << r.out;
}

TEST_F(VisionCli, LayoutWithoutAModel) {
  const Result r = run("image-embed --image " + kDir + "images-orient-6.jpg --prompt");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("16 x 24 (upright)"), std::string::npos) << r.out;  // orientation 6 turns 24 x 16
  EXPECT_NE(r.out.find("1366 x 2048, then 1536 x 2048"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("4 rows x 3 cols of 512 x 512 + 1 global = 13 tiles"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("832 <image> tokens"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("<fake_token_around_image><row_4_col_3><image>x64\n\n<fake_token_around_image><global-img>"),
            std::string::npos) << r.out;
}

TEST_F(VisionCli, EmbedWritesTheLibrarysFloats) {
  const std::string out = dir_ + "/e.bin";
  const Result r = run("image-embed -t 1 --image " + kDir + "processor-small.png --mmproj " + kDir +
                       "tiny-mmproj-f32.gguf --out " + out);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("embedding:    [52, 48] float32 (13 tiles x 4 tokens"), std::string::npos) << r.out;
  const std::string bytes = sotto::read_file(out);
  ASSERT_EQ(bytes.size(), size_t(52 * 48 * 4));
  // The first tile's rows, computed here through the library.
  auto f = sotto::GgufFile::open(kDir + "tiny-mmproj-f32.gguf");
  sotto::ThreadPool pool(1);
  auto be = sotto::make_cpu_backend(pool);
  auto m = sotto::VisionModel::load(*f, *be);
  sotto::image::ProcessorConfig pc;
  pc.tile = 64;
  pc.longest_edge = 256;
  pc.image_seq_len = 4;
  const auto p = sotto::image::process(sotto::image::load_image(kDir + "processor-small.png"), pc);
  const auto px = sotto::image::pixel_values(p.tiles[0], pc);
  const std::vector<float> e = m->embed(px.data());
  EXPECT_EQ(std::memcmp(bytes.data(), e.data(), e.size() * sizeof(float)), 0);
}

TEST_F(VisionCli, OneLineErrors) {
  Result r = run("image-embed --image " + kDir + "no-such.jpg");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(lines(r.out), 1u) << r.out;
  r = run("image-embed --image " + kDir + "tiny-mmproj-f32.gguf");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("not a PNG or JPEG image"), std::string::npos) << r.out;
  r = run("image-embed --image " + kDir + "processor-small.png --mmproj " + std::string(SOTTO_SOURCE_DIR) +
          "/tests/fixtures/models/smollm2-f32.gguf");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("not a vision projector file"), std::string::npos) << r.out;
  EXPECT_EQ(lines(r.out), 1u) << r.out;
  r = run("image-embed");
  EXPECT_EQ(r.code, 2);
  r = run("image-embed --image " + kDir + "processor-small.png --out x.bin");
  EXPECT_EQ(r.code, 2);
}

}  // namespace
