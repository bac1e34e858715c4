// test-model-vision.cpp — the SmolVLM vision tower (models/siglip.h) against the PyTorch reference
// (tools/ref/siglip_ref.py) through the fixtures of tools/ref/make_vision_fixtures.py (tests/fixtures/vision): a tiny
// random-weight mmproj GGUF with f32, f16 and q8_0 matrices; the reference ran in float64 on exactly the stored weights.
// Tolerances, as fractions of the reference output's standard deviation (sd), max |diff| over every value:
//   encoder output (after post_ln) and connector output, f32 and f16 weights: 1e-5 sd (measured: 1.3e-6 sd at most;
//   f32 arithmetic against float64; docs/vision.md); q8_0 weights 5e-2 sd (8-bit activations as well). The f16 and
//   q8_0 towers' rows against the f32 weights' reference: per-row cosine and relative RMS error (VisionQuantized).
// Also: the mmproj keys and names of the real SmolVLM-256M vision config load by shape (random weights, not run), the
// pixel shuffle's order on a numbered grid, and one-line errors for files that are not idefics3 projectors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "core/error.h"
#include "core/gguf.h"
#include "core/thread-pool.h"
#include "models/siglip.h"
#include "parity-fixtures.h"

using namespace sotto;

namespace {

const std::string kDir = std::string(SOTTO_SOURCE_DIR) + "/tests/fixtures/vision/";
// q8_0 weights against the reference on the same (dequantized) weights: the CPU's Q8_0 matmul also rounds each
// activation row to Q8_0 blocks, so the bound is that of 8-bit activations, not of f32 arithmetic.
constexpr double kTolQ8 = 5e-2;

struct Diff {
  double max_abs = 0, sd = 0;
};
Diff compare(const std::vector<float>& got, const float* want, size_t n) {
  Diff d;
  d.sd = reference_sd(want, n);
  for (size_t i = 0; i < n; i++) d.max_abs = std::max(d.max_abs, double(std::fabs(got[i] - want[i])));
  return d;
}

class VisionParity : public ::testing::TestWithParam<std::string> {};

TEST_P(VisionParity, EncoderAndConnectorMatchPyTorch) {
  const std::string t = GetParam();
  auto f = GgufFile::open(kDir + "tiny-mmproj-" + t + ".gguf");
  auto ref = GgufFile::open(kDir + "tiny-mmproj-" + t + ".ref.gguf");
  ThreadPool pool(2);
  auto be = make_cpu_backend(pool);
  auto m = VisionModel::load(*f, *be);
  const VisionConfig& c = m->config();
  EXPECT_EQ(c.projector, "idefics3");
  EXPECT_EQ(c.n_patches(), 64);
  EXPECT_EQ(c.n_tokens(), 4);
  EXPECT_EQ(c.proj_dim, 48);
  const float* pixels = ref->tensor("pixels").view.as<const float>();
  const double tol = t == "q8_0" ? kTolQ8 : 1e-5;

  const auto& enc_t = ref->tensor("encoded");
  const std::vector<float> enc = m->encode(pixels);
  ASSERT_EQ(enc.size(), size_t(enc_t.view.nelements()));
  const Diff de = compare(enc, enc_t.view.as<const float>(), enc.size());
  std::printf("[ vision %s ] encoder: max |diff| %.3g = %.3g sd\n", t.c_str(), de.max_abs, de.max_abs / de.sd);
  EXPECT_LE(de.max_abs, tol * de.sd);

  const auto& emb_t = ref->tensor("embeds");
  const std::vector<float> emb = m->embed(pixels);
  ASSERT_EQ(emb.size(), size_t(emb_t.view.nelements()));
  const Diff dm = compare(emb, emb_t.view.as<const float>(), emb.size());
  std::printf("[ vision %s ] connector: max |diff| %.3g = %.3g sd\n", t.c_str(), dm.max_abs, dm.max_abs / dm.sd);
  EXPECT_LE(dm.max_abs, tol * dm.sd);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, VisionParity, ::testing::Values("f32", "f16", "q8_0"));

// What quantizing the tower costs: the engine's rows from the f16 and q8_0 files against the float64 reference of
// the f32 weights (the same seeds, tiny-mmproj-f32.ref.gguf). Per visual token (row): cosine similarity; over all
// rows: the RMS error as a fraction of the reference's RMS. Bounds below, measured values printed (docs/vision.md).
struct RowStats {
  double min_cos = 1, rms_rel = 0;
};
RowStats row_stats(const std::vector<float>& got, const float* want, int64_t n_rows, int64_t n_cols) {
  RowStats r;
  double se = 0, sr = 0;
  for (int64_t i = 0; i < n_rows; i++) {
    double dot = 0, a2 = 0, b2 = 0;
    for (int64_t j = 0; j < n_cols; j++) {
      const double a = got[size_t(i * n_cols + j)], b = want[i * n_cols + j];
      dot += a * b;
      a2 += a * a;
      b2 += b * b;
      se += (a - b) * (a - b);
    }
    sr += b2;
    r.min_cos = std::min(r.min_cos, dot / std::sqrt(a2 * b2));
  }
  r.rms_rel = std::sqrt(se / sr);
  return r;
}

TEST(VisionQuantized, TowerAgainstTheF32Reference) {
  auto ref = GgufFile::open(kDir + "tiny-mmproj-f32.ref.gguf");
  const float* pixels = ref->tensor("pixels").view.as<const float>();
  const auto& emb_t = ref->tensor("embeds");
  ThreadPool pool(2);
  auto be = make_cpu_backend(pool);
  struct Bound {
    const char* type;
    double min_cos, max_rms_rel;
  };
  for (const Bound& b : {Bound{"f16", 0.99999, 2e-3}, Bound{"q8_0", 0.999, 3e-2}}) {
    auto f = GgufFile::open(kDir + "tiny-mmproj-" + b.type + ".gguf");
    auto m = VisionModel::load(*f, *be);
    const std::vector<float> emb = m->embed(pixels);
    ASSERT_EQ(emb.size(), size_t(emb_t.view.nelements()));
    const RowStats r = row_stats(emb, emb_t.view.as<const float>(), emb_t.ne[1], emb_t.ne[0]);
    std::printf("[ vision %s vs f32 reference ] rows: min cosine %.7f, rms error %.3g of the rms\n", b.type, r.min_cos,
                r.rms_rel);
    EXPECT_GE(r.min_cos, b.min_cos) << b.type;
    EXPECT_LE(r.rms_rel, b.max_rms_rel) << b.type;
  }
}

TEST(VisionPixelShuffle, OrderOnANumberedGrid) {
  // 8 x 8 patches of d = 2 features (patch p has features 10p, 10p + 1), s = 4: token (R, C) holds patch
  // (4R + dy, 4C + dx) at offset (4 dy + dx) * 2.
  const int side = 8, d = 2, s = 4;
  std::vector<float> x(size_t(side * side * d));
  for (int p = 0; p < side * side; p++) {
    x[size_t(p * d)] = float(10 * p);
    x[size_t(p * d + 1)] = float(10 * p + 1);
  }
  const std::vector<float> y = pixel_shuffle(x, side * side, d, s);
  for (int R = 0; R < 2; R++) {
    for (int C = 0; C < 2; C++) {
      for (int dy = 0; dy < s; dy++) {
        for (int dx = 0; dx < s; dx++) {
          const int p = (R * s + dy) * side + C * s + dx;
          const size_t at = size_t((R * 2 + C) * s * s * d + (dy * s + dx) * d);
          EXPECT_EQ(y[at], float(10 * p));
          EXPECT_EQ(y[at + 1], float(10 * p + 1));
        }
      }
    }
  }
}

// An mmproj file with the real SmolVLM-256M vision shape (hidden 768, 12 layers, 12 heads, patch 16, image 512,
// MLP 3072, pixel shuffle 4, LM hidden 576), f16 matrices of constant values: it must load by shape.
std::string write_real_config(const std::string& path, bool swapped_ffn = false) {
  const int64_t D = 768, FF = 3072, P = 16, N = 1024, L = 12, S = 4, T = 576;
  GgufWriter g;
  g.set_string("general.architecture", "clip");
  g.set_bool("clip.has_vision_encoder", true);
  g.set_string("clip.projector_type", "idefics3");
  g.set_u32("clip.vision.image_size", 512);
  g.set_u32("clip.vision.patch_size", uint32_t(P));
  g.set_u32("clip.vision.embedding_length", uint32_t(D));
  g.set_u32("clip.vision.feed_forward_length", uint32_t(FF));
  g.set_u32("clip.vision.block_count", uint32_t(L));
  g.set_u32("clip.vision.attention.head_count", 12);
  g.set_f32("clip.vision.attention.layer_norm_epsilon", 1e-6f);
  g.set_u32("clip.vision.projector.scale_factor", uint32_t(S));
  g.set_u32("clip.vision.projection_dim", uint32_t(T));
  g.set_f32_array("clip.vision.image_mean", {0.5f, 0.5f, 0.5f});
  g.set_f32_array("clip.vision.image_std", {0.5f, 0.5f, 0.5f});
  const std::vector<uint16_t> h16(size_t(D * S * S * T), f32_to_fp16(0.01f));
  const std::vector<float> f32(size_t(D * N), 0.0f);
  auto mat = [&](const std::string& n, Shape ne) { g.add_tensor(n, DType::F16, ne, h16.data()); };
  auto vec = [&](const std::string& n, int64_t k) { g.add_tensor(n, DType::F32, {k, 1, 1, 1}, f32.data()); };
  mat("v.patch_embd.weight", {P, P, 3, D});
  vec("v.patch_embd.bias", D);
  g.add_tensor("v.position_embd.weight", DType::F32, {D, N, 1, 1}, f32.data());
  for (int i = 0; i < L; i++) {
    const std::string b = "v.blk." + std::to_string(i) + ".";
    for (const char* n : {"attn_q", "attn_k", "attn_v", "attn_out"}) {
      mat(b + n + ".weight", {D, D, 1, 1});
      vec(b + n + ".bias", D);
    }
    for (const char* n : {"ln1", "ln2"}) {
      vec(b + n + ".weight", D);
      vec(b + n + ".bias", D);
    }
    mat(b + (swapped_ffn ? "ffn_down" : "ffn_up") + ".weight", {D, FF, 1, 1});
    vec(b + (swapped_ffn ? "ffn_down" : "ffn_up") + ".bias", FF);
    mat(b + (swapped_ffn ? "ffn_up" : "ffn_down") + ".weight", {FF, D, 1, 1});
    vec(b + (swapped_ffn ? "ffn_up" : "ffn_down") + ".bias", D);
  }
  vec("v.post_ln.weight", D);
  vec("v.post_ln.bias", D);
  mat("mm.model.fc.weight", {D * S * S, T, 1, 1});
  g.write(path);
  return path;
}

TEST(VisionRealConfig, SmolVlm256mLoadsByShape) {
  const std::string path = (std::filesystem::temp_directory_path() / "sotto-test-smolvlm256m-mmproj.gguf").string();
  write_real_config(path);
  auto f = GgufFile::open(path);
  ThreadPool pool(1);
  auto be = make_cpu_backend(pool);
  auto m = VisionModel::load(*f, *be);
  const VisionConfig& c = m->config();
  EXPECT_EQ(c.n_embd, 768);
  EXPECT_EQ(c.n_layer, 12);
  EXPECT_EQ(c.n_head, 12);
  EXPECT_EQ(c.n_ff, 3072);
  EXPECT_EQ(c.n_patches(), 1024);
  EXPECT_EQ(c.n_tokens(), 64);
  EXPECT_EQ(c.proj_dim, 576);
  EXPECT_FALSE(c.ffn_swapped);
  // Running it (1024 patches x 12 layers) is for a bigger machine: SOTTO_VISION_REAL_RUN=1.
  if (std::getenv("SOTTO_VISION_REAL_RUN")) {
    std::vector<float> px(3 * 512 * 512, 0.25f);
    const std::vector<float> e = m->embed(px.data());
    EXPECT_EQ(e.size(), size_t(64 * 576));
    for (float v : e) ASSERT_TRUE(std::isfinite(v));
  }
  f.reset();
  std::filesystem::remove(path);
}

TEST(VisionRealConfig, OlderFfnNamesAreToldByShape) {
  // Older converters named fc1 "ffn_down" and fc2 "ffn_up"; the shapes say which is which.
  const std::string path = (std::filesystem::temp_directory_path() / "sotto-test-smolvlm-swapped.gguf").string();
  write_real_config(path, true);
  auto f = GgufFile::open(path);
  ThreadPool pool(1);
  auto be = make_cpu_backend(pool);
  EXPECT_TRUE(VisionModel::load(*f, *be)->config().ffn_swapped);
  f.reset();
  std::filesystem::remove(path);
}

TEST(VisionErrors, OneLineMessages) {
  const std::string dir = std::filesystem::temp_directory_path().string();
  auto expect_error = [](const std::string& path, const std::string& part) {
    try {
      auto f = GgufFile::open(path);
      ThreadPool pool(1);
      auto be = make_cpu_backend(pool);
      VisionModel::load(*f, *be);
      ADD_FAILURE() << path << ": no error";
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find(part), std::string::npos) << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    }
  };
  // A language model is not a projector.
  expect_error(std::string(SOTTO_SOURCE_DIR) + "/tests/fixtures/models/smollm2-f32.gguf", "not a vision projector file");
  // Another projector type.
  GgufWriter g;
  g.set_string("general.architecture", "clip");
  g.set_string("clip.projector_type", "mlp");
  g.write(dir + "/sotto-test-mlp-mmproj.gguf");
  expect_error(dir + "/sotto-test-mlp-mmproj.gguf", "projector type 'mlp' is not supported");
  std::filesystem::remove(dir + "/sotto-test-mlp-mmproj.gguf");
}

}  // namespace
