// test-quant-numpy.cpp — the C++ quant code (core/quant.h) against its NumPy twin (tools/ref/quants.py).
// Fixture tests/fixtures/quant/quant-numpy.gguf (tools/ref/make_quant_fixture.py) holds, per type T in
// {q8_0, q4_0, q4_k}: `T.x` the F32 input [512, 4], `T.q` those rows quantized by NumPy, `T.dq` NumPy's
// dequantization of `T.q`. Checks:
// 1. dequantize_row(T.q) == T.dq bit for bit (both read the same published block layout).
// 2. quantize_row(T.x) -> dequantize_row (== NumPy's dequantize, by check 1) has an error per row within the
//    bounds below, and a total RMS error no worse than 1.25x NumPy's own quantizer's (C++ may search better
//    scales; it must not be much worse). Max error per block, stated relative to the block's max |x|:
//      q8_0: 0.5/127 + 2^-11 (half a step + fp16 rounding of d); q4_0: 1/8 (one step at the clamped end)
//      + 2^-11; plus, absolute, max|q| * 2^-25 for d in fp16's subnormal range (the 1e-3-scaled row); q4_k: per 32-value sub-block, one step (range/15) + 6-bit scale rounding, bounded by 1/8 of
//      the super-block's max |x| + its range/15.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "core/gguf.h"
#include "core/quant.h"

using namespace sotto;

namespace {

const std::string kPath = std::string(SOTTO_SOURCE_DIR) + "/tests/fixtures/quant/quant-numpy.gguf";

struct Case { const char* name; DType type; };
const Case kCases[] = {{"q8_0", DType::Q8_0}, {"q4_0", DType::Q4_0}, {"q4_k", DType::Q4_K}};

std::vector<float> floats(const GgufTensorInfo& t) {
  EXPECT_EQ(t.type, DType::F32) << t.name;
  std::vector<float> v(size_t(t.view.nelements()));
  std::memcpy(v.data(), t.view.data, v.size() * sizeof(float));
  return v;
}

double max_abs(const float* x, int64_t n) {
  double m = 0;
  for (int64_t i = 0; i < n; i++) m = std::max(m, double(std::fabs(x[i])));
  return m;
}

// Bound on |x - dq| inside one block of `bs` values starting at x (see the contract above).
double block_bound(DType t, const float* x, int64_t bs) {
  const double amax = max_abs(x, bs);
  const double sub = std::ldexp(1.0, -25);  // half an fp16 ulp in the subnormal range (tiny blocks)
  if (t == DType::Q8_0) return amax * (0.5 / 127 + 1.0 / 2048) + 128 * sub;
  if (t == DType::Q4_0) return amax * (1.0 / 8 + 1.0 / 2048) + 8 * sub;
  const auto [lo, hi] = std::minmax_element(x, x + bs);
  return amax / 8 + (double(*hi) - double(std::min(*lo, 0.0f))) / 15 + 64 * 16 * sub;
}

TEST(QuantNumpy, DequantizeMatchesNumpyBitExact) {
  auto f = GgufFile::open(kPath);
  for (const Case& c : kCases) {
    const auto& q = f->tensor(std::string(c.name) + ".q");
    const std::vector<float> want = floats(f->tensor(std::string(c.name) + ".dq"));
    ASSERT_EQ(q.type, c.type) << c.name;
    const int64_t n = q.view.ne[0], rows = q.view.nrows();
    ASSERT_EQ(int64_t(want.size()), n * rows);
    std::vector<float> got(static_cast<size_t>(n));
    const auto* raw = static_cast<const uint8_t*>(q.view.data);
    for (int64_t r = 0; r < rows; r++) {
      dequantize_row(c.type, raw + r * dtype_row_bytes(c.type, n), got.data(), n);
      int64_t bad = 0, first = -1;
      for (int64_t i = 0; i < n; i++) {
        if (std::memcmp(&got[i], &want[size_t(r * n + i)], sizeof(float)) != 0) {
          if (first < 0) first = i;
          bad++;
        }
      }
      EXPECT_EQ(bad, 0) << c.name << " row " << r << ": first mismatch at " << first << " C++ "
                        << (first >= 0 ? got[first] : 0) << " numpy "
                        << (first >= 0 ? want[size_t(r * n + first)] : 0);
    }
  }
}

TEST(QuantNumpy, QuantizeErrorWithinBoundsAndNearNumpy) {
  auto f = GgufFile::open(kPath);
  for (const Case& c : kCases) {
    const std::vector<float> x = floats(f->tensor(std::string(c.name) + ".x"));
    const std::vector<float> np_dq = floats(f->tensor(std::string(c.name) + ".dq"));
    const int64_t n = f->tensor(std::string(c.name) + ".x").view.ne[0];
    const int64_t rows = int64_t(x.size()) / n, bs = c.type == DType::Q4_K ? 256 : 32;
    std::vector<uint8_t> buf(dtype_row_bytes(c.type, n));
    std::vector<float> dq(static_cast<size_t>(n));
    double se_cpp = 0, se_np = 0;
    for (int64_t r = 0; r < rows; r++) {
      const float* xr = x.data() + r * n;
      quantize_row(c.type, xr, buf.data(), n);
      dequantize_row(c.type, buf.data(), dq.data(), n);
      for (int64_t b = 0; b < n; b += bs) {
        const double bound = block_bound(c.type, xr + b, bs);
        for (int64_t i = b; i < b + bs; i++) {
          const double e = std::fabs(double(dq[i]) - double(xr[i]));
          ASSERT_LE(e, bound) << c.name << " row " << r << " value " << i << " x=" << xr[i];
          se_cpp += e * e;
          const double en = double(np_dq[size_t(r * n + i)]) - double(xr[i]);
          se_np += en * en;
        }
      }
    }
    EXPECT_LE(std::sqrt(se_cpp), 1.25 * std::sqrt(se_np)) << c.name << ": C++ quantizer RMS error vs NumPy's";
  }
}

}  // namespace
