// test-splat-cli.cpp — `sotto splat info` and `sotto splat render`: the PNG and --raw frames of a fixture view
// equal the library's render (raw bit for bit, PNG as its values clamped and rounded to 8 bits) and match the
// PyTorch reference (PSNR >= 40 dB); malformed scenes exit 1 with one "sotto: FILE: ..." line, usage mistakes exit 2.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>

#include "cli-run.h"
#include "core/file.h"
#include "image/image.h"
#include "splat/render.h"

using namespace cli_run;

namespace {

const std::string kDir = std::string(SOTTO_SOURCE_DIR) + "/tests/fixtures/splat/";

class SplatCli : public CliTest {
 protected:
  SplatCli() : CliTest("splat-cli") {}
};

std::vector<float> floats(const std::string& bytes) {
  std::vector<float> v(bytes.size() / 4);
  std::memcpy(v.data(), bytes.data(), v.size() * 4);
  return v;
}

}  // namespace

TEST_F(SplatCli, Info) {
  const Result r = run("splat info " + kDir + "ring-sh3.ply");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("ring-sh3.ply: 300 splats, SH degree 3"), std::string::npos) << r.out;
  const Result b = run("splat info " + kDir + "blobs.splat");
  EXPECT_NE(b.out.find("blobs.splat: 250 splats, SH degree 0"), std::string::npos) << b.out;
}

TEST_F(SplatCli, RenderEqualsLibraryAndReference) {
  // refs.txt line 2: ring-sh3.ply 200 -40 2.5 70 0.3 0 0 40 40 1 1 1 ref-1.f32
  const std::string png = dir_ + "/f.png", raw = dir_ + "/f.f32";
  const Result r = run("splat render " + kDir + "ring-sh3.ply --view 200,-40,2.5,70 --target 0.3,0,0 --size 40x40 "
                       "--bg 1,1,1 --out " + png + " --raw " + raw);
  ASSERT_EQ(r.code, 0) << r.out;
  const std::vector<float> got = floats(sotto::read_file(raw));
  sotto::splat::OrbitView v;
  v.azimuth_deg = 200, v.elevation_deg = -40, v.radius = 2.5f, v.fov_y_deg = 70, v.target[0] = 0.3f;
  const float bg[3] = {1, 1, 1};
  const std::vector<float> lib = sotto::splat::render(sotto::splat::read_scene(kDir + "ring-sh3.ply"),
                                                      sotto::splat::orbit_camera(v, 40, 40), bg);
  ASSERT_EQ(got.size(), lib.size());
  EXPECT_EQ(std::memcmp(got.data(), lib.data(), got.size() * 4), 0);
  const std::vector<float> ref = floats(sotto::read_file(kDir + "ref-1.f32"));
  ASSERT_EQ(ref.size(), got.size());
  double se = 0;
  for (size_t i = 0; i < ref.size(); ++i) se += (double(got[i]) - ref[i]) * (double(got[i]) - ref[i]);
  EXPECT_GE(10 * std::log10(double(ref.size()) / se), 40.0);
  const sotto::image::Rgb8 img = sotto::image::load_image(png);
  ASSERT_EQ(img.width, 40);
  ASSERT_EQ(img.height, 40);
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_EQ(int(img.pixels[i]), int(std::lround(std::clamp(got[i], 0.0f, 1.0f) * 255.0f))) << i;
}

TEST_F(SplatCli, Errors) {
  const std::string bad = dir_ + "/bad.ply";
  std::ofstream(bad, std::ios::binary) << "ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nend_header\n1\n";
  Result r = run("splat render " + bad + " --out " + dir_ + "/x.png");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "sotto: " + bad + ": ascii .ply is not read; save it as binary_little_endian\n");
  const std::string trunc = dir_ + "/t.splat";
  std::ofstream(trunc, std::ios::binary) << std::string(40, 'a');
  r = run("splat info " + trunc);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(lines(r.out), 1u) << r.out;
  EXPECT_NE(r.out.find("40 bytes is not a whole number of 32-byte splats"), std::string::npos) << r.out;
  for (const char* args : {"--size 0x10", "--size 10", "--view 1,2", "--view 1,2,0", "--view 1,2,3,180", "--bg 1,x,0", ""}) {
    r = run(std::string("splat render ") + kDir + "blobs.splat --out " + dir_ + "/y.png " + args +
            (std::string(args).empty() ? " --target 1,2" : ""));
    EXPECT_EQ(r.code, 2) << args << ": " << r.out;
    EXPECT_EQ(lines(r.out), 1u) << r.out;
  }
  r = run("splat draw " + kDir + "blobs.splat");
  EXPECT_EQ(r.code, 2) << r.out;
}
