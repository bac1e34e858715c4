// test-quant.cpp — reference quantize/dequantize (core/quant.h).
// 1. Layout: blocks built by hand in the test from the GGML layout (not with quant.cpp's packing) must
//    dequantize to the values the format defines.
// 2. Error bounds of quantize -> dequantize on Gaussian rows (sigma = 1), stated per format:
//      f16: |e| <= 2^-11 |x|, bf16: |e| <= 2^-8 |x| (relative rounding, normal range)
//      q8_0: |e| <= d/2 + 127 d 2^-11 per value (d = max|x|/127 of its block, the second term from d's
//            fp16 rounding); RMS <= 0.01
//      q4_0: |e| <= |d| (+ fp16 term), d = value of max |x| / -8 of its block; RMS <= 0.09
//      q4_k: |e| <= half a step of its sub-block + the 6-bit scale rounding; RMS <= 0.085
// 3. Bad input (partial blocks, i32) is a sotto::Error.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "core/error.h"
#include "core/quant.h"

using namespace sotto;

namespace {

std::vector<float> randn(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

std::vector<float> round_trip(DType t, const std::vector<float>& x, int64_t n_cols) {
  const int64_t n_rows = int64_t(x.size()) / n_cols;
  auto q = quantize_tensor(t, x.data(), n_rows, n_cols);
  EXPECT_EQ(q.size(), dtype_row_bytes(t, n_cols) * size_t(n_rows));
  std::vector<float> y(x.size());
  for (int64_t r = 0; r < n_rows; r++) {
    dequantize_row(t, q.data() + size_t(r) * dtype_row_bytes(t, n_cols), y.data() + r * n_cols, n_cols);
  }
  return y;
}

double rms_err(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); i++) s += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
  return std::sqrt(s / double(a.size()));
}

}  // namespace

TEST(QuantLayout, Q8_0HandBuilt) {
  BlockQ8_0 b[2];
  b[0].d = 0x3800;  // 0.5
  b[1].d = 0xc000;  // -2
  for (int i = 0; i < 32; i++) {
    b[0].qs[i] = int8_t(i - 16);
    b[1].qs[i] = int8_t(i % 2 ? 127 : -128);
  }
  float y[64];
  dequantize_row(DType::Q8_0, b, y, 64);
  for (int i = 0; i < 32; i++) {
    EXPECT_EQ(y[i], 0.5f * float(i - 16));
    EXPECT_EQ(y[32 + i], -2.0f * (i % 2 ? 127.0f : -128.0f));
  }
}

TEST(QuantLayout, Q4_0HandBuilt) {
  BlockQ4_0 b;
  b.d = 0x4000;  // 2
  for (int i = 0; i < 16; i++) b.qs[i] = uint8_t((i & 15) | ((15 - i) << 4));
  float y[32];
  dequantize_row(DType::Q4_0, &b, y, 32);
  for (int i = 0; i < 16; i++) {
    EXPECT_EQ(y[i], 2.0f * float(i - 8)) << i;            // low nibbles: values 0..15
    EXPECT_EQ(y[16 + i], 2.0f * float(15 - i - 8)) << i;  // high nibbles: values 16..31
  }
}

TEST(QuantLayout, Q4_KHandBuilt) {
  // 12 scale bytes per the GGML layout: bytes 0-3 hold sc0..3 (low 6 bits) and the top 2 bits of sc4..7;
  // bytes 4-7 hold m0..3 and the top 2 bits of m4..7; bytes 8-11 hold the low 4 bits of sc4..7 and m4..7.
  const int sc[8] = {1, 63, 17, 40, 5, 60, 33, 16};
  const int mn[8] = {0, 7, 63, 20, 48, 3, 31, 62};
  BlockQ4_K b;
  std::memset(&b, 0, sizeof b);
  b.d = 0x3400;     // 0.25
  b.dmin = 0x2c00;  // 0.0625
  for (int j = 0; j < 4; j++) {
    b.scales[j] = uint8_t(sc[j] | ((sc[j + 4] >> 4) << 6));
    b.scales[j + 4] = uint8_t(mn[j] | ((mn[j + 4] >> 4) << 6));
    b.scales[j + 8] = uint8_t((sc[j + 4] & 15) | ((mn[j + 4] & 15) << 4));
  }
  // Value 64c + l (l < 32) is the low nibble of qs[32c + l]; value 64c + 32 + l its high nibble.
  int q[256];
  for (int i = 0; i < 256; i++) q[i] = (i * 7 + 3) % 16;
  for (int c = 0; c < 4; c++)
    for (int l = 0; l < 32; l++) b.qs[32 * c + l] = uint8_t(q[64 * c + l] | (q[64 * c + 32 + l] << 4));
  float y[256];
  dequantize_row(DType::Q4_K, &b, y, 256);
  for (int i = 0; i < 256; i++) {
    const int j = i / 32;
    EXPECT_EQ(y[i], 0.25f * float(sc[j]) * float(q[i]) - 0.0625f * float(mn[j])) << i;
  }
  for (int j = 0; j < 8; j++) {
    uint8_t s, m;
    q4_k_get_scale_min(b.scales, j, &s, &m);
    EXPECT_EQ(int(s), sc[j]);
    EXPECT_EQ(int(m), mn[j]);
  }
}

TEST(QuantLayout, Q4_KScalePackingRoundTrips) {
  for (int trial = 0; trial < 64; trial++) {
    uint8_t s[12] = {};
    int sc[8], mn[8];
    for (int j = 0; j < 8; j++) {
      sc[j] = (trial * 13 + j * 29) % 64;
      mn[j] = (trial * 7 + j * 41 + 5) % 64;
      q4_k_set_scale_min(s, j, uint8_t(sc[j]), uint8_t(mn[j]));
    }
    for (int j = 0; j < 8; j++) {
      uint8_t a, b;
      q4_k_get_scale_min(s, j, &a, &b);
      EXPECT_EQ(int(a), sc[j]);
      EXPECT_EQ(int(b), mn[j]);
    }
  }
}

TEST(QuantError, FloatTypes) {
  const auto x = randn(4096, 1);
  EXPECT_EQ(round_trip(DType::F32, x, 64), x);
  const auto h = round_trip(DType::F16, x, 64);
  const auto b = round_trip(DType::BF16, x, 64);
  for (size_t i = 0; i < x.size(); i++) {
    if (std::fabs(x[i]) < 1e-4f) continue;  // f16 subnormal range: absolute error only
    EXPECT_LE(std::fabs(h[i] - x[i]), std::ldexp(std::fabs(x[i]), -11)) << x[i];
    EXPECT_LE(std::fabs(b[i] - x[i]), std::ldexp(std::fabs(x[i]), -8)) << x[i];
  }
}

TEST(QuantError, Q8_0) {
  const auto x = randn(32 * 256, 2);
  const auto y = round_trip(DType::Q8_0, x, 256);
  for (size_t b = 0; b < x.size() / 32; b++) {
    float amax = 0;
    for (int i = 0; i < 32; i++) amax = std::max(amax, std::fabs(x[b * 32 + i]));
    const float d = amax / 127;
    for (int i = 0; i < 32; i++) {
      EXPECT_LE(std::fabs(y[b * 32 + i] - x[b * 32 + i]), (d / 2 + 127 * d * std::ldexp(1.0f, -11)) * 1.001f);
    }
  }
  EXPECT_LE(rms_err(x, y), 0.01);
}

TEST(QuantError, Q4_0) {
  const auto x = randn(32 * 256, 3);
  const auto y = round_trip(DType::Q4_0, x, 128);
  for (size_t b = 0; b < x.size() / 32; b++) {
    float amax = 0;
    for (int i = 0; i < 32; i++) amax = std::max(amax, std::fabs(x[b * 32 + i]));
    const float d = amax / 8;
    for (int i = 0; i < 32; i++) EXPECT_LE(std::fabs(y[b * 32 + i] - x[b * 32 + i]), d * (1 + 8 * std::ldexp(1.0f, -11)));
  }
  EXPECT_LE(rms_err(x, y), 0.09);
}

TEST(QuantError, Q4_K) {
  const auto x = randn(256 * 64, 4);
  const auto y = round_trip(DType::Q4_K, x, 512);
  for (size_t s = 0; s < x.size() / 32; s++) {
    float lo = 0, hi = 0;
    for (int i = 0; i < 32; i++) {
      lo = std::min(lo, x[s * 32 + i]);
      hi = std::max(hi, x[s * 32 + i]);
    }
    // Half a step of the range fit, plus the rounding of scale and min to 6 bits of the block maxima
    // (each off by at most half of max/63 over 15 steps) — a loose but real per-value bound.
    const float step = (hi - lo) / 15;
    for (int i = 0; i < 32; i++) EXPECT_LE(std::fabs(y[s * 32 + i] - x[s * 32 + i]), 0.75f * step + 0.1f) << s;
  }
  EXPECT_LE(rms_err(x, y), 0.085);
}

TEST(QuantError, SpecialRows) {
  for (DType t : {DType::Q8_0, DType::Q4_0, DType::Q4_K, DType::F16, DType::BF16}) {
    std::vector<float> zeros(512, 0.0f), cst(512, -3.25f), tiny(512), big(512);
    for (size_t i = 0; i < 512; i++) {
      tiny[i] = 1e-6f * float(int(i % 17) - 8);
      big[i] = 3e4f * float(int(i % 11) - 5) / 5;
    }
    EXPECT_EQ(round_trip(t, zeros, 256), zeros) << dtype_name(t);
    for (const auto* v : {&cst, &tiny, &big}) {
      const auto y = round_trip(t, *v, 256);
      float amax = 0;
      for (float f : *v) amax = std::max(amax, std::fabs(f));
      for (size_t i = 0; i < y.size(); i++) {
        ASSERT_TRUE(std::isfinite(y[i])) << dtype_name(t);
        // tiny values sit in fp16's subnormal range for the block scale: allow 2^-24 absolute.
        EXPECT_LE(std::fabs(y[i] - (*v)[i]), 0.15f * amax + 6e-8f) << dtype_name(t) << " " << i;
      }
    }
  }
}

TEST(QuantErrors, BadInputIsError) {
  std::vector<float> x(100);
  std::vector<uint8_t> y(1000);
  EXPECT_THROW(quantize_row(DType::Q8_0, x.data(), y.data(), 33), Error);
  EXPECT_THROW(quantize_row(DType::Q4_K, x.data(), y.data(), 32), Error);
  EXPECT_THROW(dequantize_row(DType::Q4_0, y.data(), x.data(), 31), Error);
  EXPECT_THROW(quantize_row(DType::I32, x.data(), y.data(), 4), Error);
  EXPECT_THROW(quantize_tensor(DType::Q8_0, x.data(), 2, 50), Error);
  EXPECT_NO_THROW(quantize_row(DType::Q8_0, x.data(), y.data(), 0));
}

TEST(QuantErrors, NonFiniteValuesStayInTheirBlock) {
  // A NaN or inf in block 0 must not crash or disturb block 1 (256 values each).
  for (DType t : {DType::Q8_0, DType::Q4_0, DType::Q4_K, DType::F16, DType::BF16}) {
    for (float bad : {std::nanf(""), INFINITY, -INFINITY}) {
      auto x = randn(512, 5);
      x[3] = bad;
      const auto all = quantize_tensor(t, x.data(), 1, 512);
      const auto second = quantize_tensor(t, x.data() + 256, 1, 256);
      const size_t half = dtype_row_bytes(t, 256);
      EXPECT_EQ(0, std::memcmp(all.data() + half, second.data(), half)) << dtype_name(t) << " " << bad;
    }
  }
}
