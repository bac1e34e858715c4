// test-cpu-kernels.cpp — every fast CPU kernel against its scalar twin (kernels-ref.cpp), swept over
// sizes 0..2N (block multiples for quantized rows, every length for float rows) and misaligned starts.
// Tolerances: integer parts of quantized dots are exact, so fast and ref differ only by float
// summation order: |fast - ref| <= 2e-6 * sum|w_i x_i| + 1e-30 (the 8/16-token kernels add the
// magnitude of their zero-point term, offset * sum|x_i|, to that sum). Quantized activations and f16
// conversions must match bit for bit; exp to 3e-7 relative.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "backend/cpu/kernels.h"
#include "core/quant.h"

using namespace sotto;
using namespace sotto::cpu;

namespace {

std::vector<float> randn(size_t n, uint32_t seed, float sigma = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, sigma);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// sum |w_i x_i| with dequantized weights and the activations as the kernel sees them.
double abs_dot(DType t, const void* w, const float* x, int64_t n) {
  std::vector<float> wd(static_cast<size_t>(n));
  dequantize_row(t, w, wd.data(), n);
  double s = 0;
  for (int64_t i = 0; i < n; i++) s += std::fabs(double(wd[size_t(i)]) * x[i]);
  return s;
}

void expect_close(float fast, float ref, double mag, const std::string& what) {
  EXPECT_LE(std::fabs(double(fast) - ref), 2e-6 * mag + 1e-30) << what << " fast " << fast << " ref " << ref;
}

}  // namespace

TEST(CpuKernels, QuantizeActMatchesRefBitForBit) {
  for (int64_t nb = 0; nb <= 20; nb++) {
    const int64_t n = nb * 32;
    auto x = randn(size_t(n) + 1, uint32_t(nb), nb % 3 == 0 ? 1e-3f : 3.0f);
    if (nb == 5) std::fill(x.begin(), x.begin() + 32, 0.0f);             // all-zero block
    if (nb == 6) for (int i = 0; i < 32; i++) x[size_t(i)] = float(i - 16) * 0.5f;  // exact ties
    for (int off = 0; off < 2; off++) {
      std::vector<BlockQ8A> a(static_cast<size_t>(nb)), b(static_cast<size_t>(nb));
      quantize_act(x.data() + off, a.data(), n);
      quantize_act_ref(x.data() + off, b.data(), n);
      for (int64_t i = 0; i < nb; i++) {
        ASSERT_EQ(a[size_t(i)].d, b[size_t(i)].d) << nb;
        ASSERT_EQ(a[size_t(i)].s, b[size_t(i)].s) << nb;
        ASSERT_EQ(std::memcmp(a[size_t(i)].qs, b[size_t(i)].qs, 32), 0) << "n " << n << " block " << i;
      }
    }
  }
}

TEST(CpuKernels, QuantizedDotsMatchRef) {
  using Dot = float (*)(const void*, const BlockQ8A*, int64_t);
  using Dot4 = void (*)(const void*, const BlockQ8A*, int64_t, int64_t, float*);
  struct Case { DType t; Dot fast, ref; Dot4 fast4, ref4; };
  const Case cases[] = {
      {DType::Q8_0, dot_q8_0, dot_q8_0_ref, dot4_q8_0, dot4_q8_0_ref},
      {DType::Q4_0, dot_q4_0, dot_q4_0_ref, dot4_q4_0, dot4_q4_0_ref},
      {DType::Q4_K, dot_q4_k, dot_q4_k_ref, dot4_q4_k, dot4_q4_k_ref},
  };
  for (const Case& c : cases) {
    const int64_t bs = dtype_block_size(c.t);
    const int64_t max_blocks = c.t == DType::Q4_K ? 6 : 24;
    for (int64_t nb = 0; nb <= max_blocks; nb++) {
      const int64_t n = nb * bs;
      const auto wf = randn(size_t(n), uint32_t(100 + nb));
      auto wq = quantize_tensor(c.t, wf.data(), 1, n);
      // Weight row 2 bytes off a 4-byte boundary: blocks are 2-byte aligned in files, nothing more.
      std::vector<uint8_t> wmis(wq.size() + 2);
      if (!wq.empty()) std::memcpy(wmis.data() + 2, wq.data(), wq.size());
      const int64_t stride = n / 32 + 1;  // token stride in blocks (one spare block)
      const auto xf = randn(size_t(stride * 32 * 4), uint32_t(200 + nb));
      std::vector<BlockQ8A> xq(size_t(stride * 4));
      for (int t = 0; t < 4; t++) quantize_act_ref(xf.data() + t * stride * 32, xq.data() + t * stride, n);
      std::vector<float> xd(static_cast<size_t>(n));  // activations as the kernel sees them
      for (int64_t b = 0; b < n / 32; b++)
        for (int i = 0; i < 32; i++) xd[size_t(b * 32 + i)] = xq[size_t(b)].d * xq[size_t(b)].qs[i];
      const double mag = abs_dot(c.t, wq.data(), xd.data(), n);
      const std::string what = std::string(dtype_name(c.t)) + " n=" + std::to_string(n);
      const float ref = c.ref(wq.data(), xq.data(), n);
      expect_close(c.fast(wq.data(), xq.data(), n), ref, mag, what);
      expect_close(c.fast(wmis.data() + 2, xq.data(), n), ref, mag, what + " misaligned");
      float o4[4], r4[4];
      c.fast4(wmis.data() + 2, xq.data(), stride, n, o4);
      c.ref4(wq.data(), xq.data(), stride, n, r4);
      for (int t = 0; t < 4; t++) {
        std::vector<float> xt(static_cast<size_t>(n));
        for (int64_t b = 0; b < n / 32; b++)
          for (int i = 0; i < 32; i++) xt[size_t(b * 32 + i)] = xq[size_t(t * stride + b)].d * xq[size_t(t * stride + b)].qs[i];
        expect_close(o4[t], r4[t], abs_dot(c.t, wq.data(), xt.data(), n), what + " dot4 t=" + std::to_string(t));
      }
    }
  }
}

TEST(CpuKernels, FloatDotsMatchRef) {
  for (DType t : {DType::F32, DType::F16, DType::BF16}) {
    for (int64_t n = 0; n <= 80; n++) {
      const auto wf = randn(size_t(n), uint32_t(300 + n));
      auto wq = quantize_tensor(t, wf.data(), 1, n);
      const int64_t stride = n + 3;
      const auto x = randn(size_t(stride * 4 + 1), uint32_t(400 + n));
      for (int off = 0; off < 2; off++) {
        const float* xp = x.data() + off;  // misaligned activations
        const double mag = abs_dot(t, wq.data(), xp, n);
        const std::string what = std::string(dtype_name(t)) + " n=" + std::to_string(n);
        float fast, ref;
        float o4[4], r4[4];
        if (t == DType::F32) {
          const auto* w = reinterpret_cast<const float*>(wq.data());
          fast = dot_f32(w, xp, n);
          ref = dot_f32_ref(w, xp, n);
          dot4_f32(w, xp, stride, n, o4);
          dot4_f32_ref(w, xp, stride, n, r4);
        } else {
          const auto* w = reinterpret_cast<const uint16_t*>(wq.data());
          fast = t == DType::F16 ? dot_f16(w, xp, n) : dot_bf16(w, xp, n);
          ref = t == DType::F16 ? dot_f16_ref(w, xp, n) : dot_bf16_ref(w, xp, n);
          if (t == DType::F16) {
            dot4_f16(w, xp, stride, n, o4);
            dot4_f16_ref(w, xp, stride, n, r4);
          } else {
            dot4_bf16(w, xp, stride, n, o4);
            dot4_bf16_ref(w, xp, stride, n, r4);
          }
        }
        expect_close(fast, ref, mag, what);
        for (int k = 0; k < 4; k++) expect_close(o4[k], r4[k], abs_dot(t, wq.data(), xp + k * stride, n), what + " dot4");
        // Two rows: this one and its reverse, n elements apart.
        std::vector<float> w2f(wf.rbegin(), wf.rend());
        w2f.insert(w2f.begin(), wf.begin(), wf.end());
        const auto w2 = quantize_tensor(t, w2f.data(), 2, n);
        float o8[8], r8[8];
        if (t == DType::F32) {
          dot2x4_f32(reinterpret_cast<const float*>(w2.data()), n, xp, stride, n, o8);
          dot2x4_f32_ref(reinterpret_cast<const float*>(w2.data()), n, xp, stride, n, r8);
        } else if (t == DType::F16) {
          dot2x4_f16(reinterpret_cast<const uint16_t*>(w2.data()), n, xp, stride, n, o8);
          dot2x4_f16_ref(reinterpret_cast<const uint16_t*>(w2.data()), n, xp, stride, n, r8);
        } else {
          dot2x4_bf16(reinterpret_cast<const uint16_t*>(w2.data()), n, xp, stride, n, o8);
          dot2x4_bf16_ref(reinterpret_cast<const uint16_t*>(w2.data()), n, xp, stride, n, r8);
        }
        for (int k = 0; k < 8; k++) {
          const double m2 = abs_dot(t, w2.data() + size_t(k / 4) * dtype_row_bytes(t, n), xp + (k % 4) * stride, n);
          expect_close(o8[k], r8[k], m2, what + " dot2x4");
        }
      }
    }
  }
}

TEST(CpuKernels, VectorHelpersMatchRef) {
  for (int64_t n = 0; n <= 70; n++) {
    const auto x = randn(size_t(n) + 1, uint32_t(500 + n), 4.0f);
    const auto y0 = randn(size_t(n) + 1, uint32_t(600 + n));
    std::vector<uint16_t> h(size_t(n) + 1), h_ref(size_t(n) + 1);
    f32_to_f16_row(x.data() + 1, h.data() + 1, n);
    f32_to_f16_row_ref(x.data() + 1, h_ref.data() + 1, n);
    EXPECT_EQ(h, h_ref) << n;
    std::vector<float> back(static_cast<size_t>(n)), back_ref(static_cast<size_t>(n));
    f16_to_f32_row(h.data() + 1, back.data(), n);
    f16_to_f32_row_ref(h.data() + 1, back_ref.data(), n);
    EXPECT_EQ(back, back_ref) << n;

    std::vector<float> a(y0), b(y0);
    axpy_f32(0.37f, x.data() + 1, a.data() + 1, n);
    axpy_f32_ref(0.37f, x.data() + 1, b.data() + 1, n);
    for (int64_t i = 0; i <= n; i++) EXPECT_NEAR(a[size_t(i)], b[size_t(i)], 1e-6f * (1 + std::fabs(b[size_t(i)])));
    a = y0;
    b = y0;
    axpy_f16(-1.5f, h.data() + 1, a.data() + 1, n);
    axpy_f16_ref(-1.5f, h.data() + 1, b.data() + 1, n);
    for (int64_t i = 0; i <= n; i++) EXPECT_NEAR(a[size_t(i)], b[size_t(i)], 1e-6f * (1 + std::fabs(b[size_t(i)])));
  }
}

TEST(CpuKernels, GeluErfMatchesLibm) {
  // x over [-12, 12] (and +-30, +-1e4, 0): |fast - exact| <= 2e-7 (1 + |x|), exact = 0.5 x (1 + erf(x / sqrt 2)) in
  // double; sizes 0..17 and an offset start cover the 8-wide body and the tail; in place too.
  std::vector<float> v;
  for (int i = 0; i <= 24000; i++) v.push_back(-12.0f + 24.0f * float(i) / 24000.0f);
  for (float e : {0.0f, -0.0f, 30.0f, -30.0f, 1e4f, -1e4f}) v.push_back(e);
  auto exact = [](float x) { return 0.5 * double(x) * (1.0 + std::erf(double(x) / std::sqrt(2.0))); };
  for (int64_t off : {int64_t(0), int64_t(3)}) {
    for (int64_t n = 0; n <= 17; n++) {
      std::vector<float> a(static_cast<size_t>(n)), b(static_cast<size_t>(n));
      gelu_erf_row(v.data() + 5000 + off, a.data(), n);
      gelu_erf_row_ref(v.data() + 5000 + off, b.data(), n);
      for (int64_t i = 0; i < n; i++) {
        const float x = v[size_t(5000 + off + i)];
        EXPECT_NEAR(a[size_t(i)], exact(x), 2e-7 * (1 + std::fabs(x))) << x;
        EXPECT_NEAR(b[size_t(i)], exact(x), 2e-7 * (1 + std::fabs(x))) << x;
      }
    }
  }
  std::vector<float> a(v), b(v.size());
  gelu_erf_row(a.data(), a.data(), int64_t(a.size()));  // in place
  gelu_erf_row_ref(v.data(), b.data(), int64_t(v.size()));
  double worst = 0;
  for (size_t i = 0; i < v.size(); i++) {
    EXPECT_NEAR(a[i], exact(v[i]), 2e-7 * (1 + std::fabs(v[i]))) << v[i];
    worst = std::max(worst, std::fabs(a[i] - exact(v[i])) / (1 + std::fabs(v[i])));
  }
  std::printf("[ gelu_erf_row ] max |fast - exact| / (1 + |x|) = %.3g\n", worst);
}

TEST(CpuKernels, ExpMatchesLibm) {
  // x - m over [-100, 0] (the softmax range): relative error 3e-7 where exp is a normal float,
  // and at most the smallest normal (1.2e-38) in absolute terms below that.
  std::vector<float> v, ref;
  for (int i = 0; i <= 20000; i++) v.push_back(-100.0f + 100.0f * float(i) / 20000.0f + 5.0f);
  for (int64_t n : {int64_t(0), int64_t(1), int64_t(7), int64_t(8), int64_t(9), int64_t(v.size())}) {
    std::vector<float> a(v.begin(), v.begin() + n), b(a);
    exp_sub_row(a.data(), 5.0f, n);
    exp_sub_row_ref(b.data(), 5.0f, n);
    for (int64_t i = 0; i < n; i++) {
      const double exact = std::exp(double(v[size_t(i)]) - 5.0);
      if (exact > 1.2e-38) {
        EXPECT_NEAR(a[size_t(i)] / exact, 1.0, 3e-7) << v[size_t(i)];
      } else {
        EXPECT_LE(std::fabs(a[size_t(i)] - exact), 1.2e-38) << v[size_t(i)];
      }
      EXPECT_NEAR(b[size_t(i)] / std::max(exact, 1e-300), 1.0, exact > 1.2e-38 ? 3e-7 : 1.0);
    }
  }
}

TEST(CpuKernels, AttentionChunkKernelsMatchRef) {
  for (int64_t hd : {1, 7, 8, 32, 40, 64, 72, 128}) {
    for (int64_t nj : {0, 1, 3, 4, 5, 9, 33}) {
      const int64_t row = hd * 3 + 1;  // rows further apart than hd, odd element stride
      const auto kf = randn(size_t(row * nj + hd), uint32_t(hd * 100 + nj));
      const auto q = randn(size_t(hd), 7), pr = randn(size_t(nj) + 1, 8);
      std::vector<uint16_t> kh(kf.size());
      f32_to_f16_row_ref(kf.data(), kh.data(), int64_t(kf.size()));
      std::vector<float> s(size_t(nj) + 1), s_ref(size_t(nj) + 1);
      attn_scores_f32(q.data(), kf.data(), size_t(row) * 4, nj, hd, s.data());
      attn_scores_f32_ref(q.data(), kf.data(), size_t(row) * 4, nj, hd, s_ref.data());
      for (int64_t j = 0; j < nj; j++) EXPECT_NEAR(s[size_t(j)], s_ref[size_t(j)], 2e-6 * double(hd)) << hd << " " << nj;
      attn_scores_f16(q.data(), kh.data(), size_t(row) * 2, nj, hd, s.data());
      attn_scores_f16_ref(q.data(), kh.data(), size_t(row) * 2, nj, hd, s_ref.data());
      for (int64_t j = 0; j < nj; j++) EXPECT_NEAR(s[size_t(j)], s_ref[size_t(j)], 2e-6 * double(hd)) << hd << " " << nj;
      const auto acc0 = randn(size_t(hd), 9);
      std::vector<float> a(acc0), b(acc0);
      attn_accum_f32(pr.data(), kf.data(), size_t(row) * 4, nj, hd, a.data());
      attn_accum_f32_ref(pr.data(), kf.data(), size_t(row) * 4, nj, hd, b.data());
      for (int64_t i = 0; i < hd; i++) EXPECT_NEAR(a[size_t(i)], b[size_t(i)], 2e-6 * double(nj + 1) * 4) << hd << " " << nj;
      a = acc0;
      b = acc0;
      attn_accum_f16(pr.data(), kh.data(), size_t(row) * 2, nj, hd, a.data());
      attn_accum_f16_ref(pr.data(), kh.data(), size_t(row) * 2, nj, hd, b.data());
      for (int64_t i = 0; i < hd; i++) EXPECT_NEAR(a[size_t(i)], b[size_t(i)], 2e-6 * double(nj + 1) * 4) << hd << " " << nj;
    }
  }
}

TEST(CpuKernels, Dot8InterleavedMatchesRef) {
  using Dot8 = void (*)(const void*, const BlockQ8x8*, int64_t, float*);
  using Dot = float (*)(const void*, const BlockQ8A*, int64_t);
  struct Case { DType t; Dot8 fast, ref; Dot one; };
  const Case cases[] = {{DType::Q8_0, dot8_q8_0, dot8_q8_0_ref, dot_q8_0_ref},
                        {DType::Q4_0, dot8_q4_0, dot8_q4_0_ref, dot_q4_0_ref},
                        {DType::Q4_K, dot8_q4_k, dot8_q4_k_ref, dot_q4_k_ref}};
  for (const Case& c : cases) {
    const int64_t bs = dtype_block_size(c.t);
    for (int64_t nb = 0; nb <= (c.t == DType::Q4_K ? 4 : 12); nb++) {
      const int64_t n = nb * bs, nq = n / 32, stride = nq + 2;
      auto wf = randn(size_t(n), uint32_t(700 + nb));
      if (c.t == DType::Q8_0 && n > 0) wf[0] = -1e3f;  // a -127 weight: the unsigned shift's extreme
      const auto wq = quantize_tensor(c.t, wf.data(), 1, n);
      std::vector<uint8_t> wmis(wq.size() + 2);
      if (!wq.empty()) std::memcpy(wmis.data() + 2, wq.data(), wq.size());
      const auto xf = randn(size_t(stride * 32 * 8), uint32_t(800 + nb), 2.0f);
      std::vector<BlockQ8A> xq(size_t(stride * 8));
      for (int t = 0; t < 8; t++) quantize_act_ref(xf.data() + t * stride * 32, xq.data() + t * stride, n);
      std::vector<BlockQ8x8> x8(static_cast<size_t>(nq));
      pack_q8x8(xq.data(), stride, nq, x8.data());
      float o[8], r[8];
      c.fast(wmis.data() + 2, x8.data(), n, o);
      c.ref(wq.data(), x8.data(), n, r);
      for (int t = 0; t < 8; t++) {
        std::vector<float> xd(static_cast<size_t>(n));
        for (int64_t b = 0; b < nq; b++)
          for (int i = 0; i < 32; i++) xd[size_t(b * 32 + i)] = xq[size_t(t * stride + b)].d * xq[size_t(t * stride + b)].qs[i];
        const std::string what = std::string(dtype_name(c.t)) + " n=" + std::to_string(n) + " t=" + std::to_string(t);
        // The interleaved ref is the per-token ref on unpacked blocks (equal up to FMA contraction).
        // The fast kernels shift weights to unsigned (q8_0: +128, q4_0: +8 as stored) and subtract
        // offset * sum(x) afterwards, so float rounding scales with that term too.
        double xabs = 0;
        for (float v : xd) xabs += std::fabs(v);
        const double offset = c.t == DType::Q8_0 ? 128 : c.t == DType::Q4_0 ? 8 : 16;
        const double mag = abs_dot(c.t, wq.data(), xd.data(), n) + offset * xabs;
        expect_close(r[t], c.one(wq.data(), xq.data() + t * stride, n), mag, what + " ref");
        expect_close(o[t], r[t], mag, what);
      }
    }
  }
}

TEST(CpuKernels, Dot16InterleavedMatchesRef) {
  using Dot16 = void (*)(const void*, const BlockQ8x16*, int64_t, float*);
  using Dot = float (*)(const void*, const BlockQ8A*, int64_t);
  struct Case { DType t; Dot16 fast, ref; Dot one; };
  const Case cases[] = {{DType::Q8_0, dot16_q8_0, dot16_q8_0_ref, dot_q8_0_ref},
                        {DType::Q4_0, dot16_q4_0, dot16_q4_0_ref, dot_q4_0_ref}};
  for (const Case& c : cases) {
    for (int64_t nb = 0; nb <= 10; nb++) {
      const int64_t n = nb * 32, stride = nb + 1;
      auto wf = randn(size_t(n), uint32_t(900 + nb));
      if (n > 0) wf[0] = -1e3f;  // extreme weights
      const auto wq = quantize_tensor(c.t, wf.data(), 1, n);
      std::vector<uint8_t> wmis(wq.size() + 2);
      if (!wq.empty()) std::memcpy(wmis.data() + 2, wq.data(), wq.size());
      const auto xf = randn(size_t(stride * 32 * 16), uint32_t(950 + nb), 2.0f);
      std::vector<BlockQ8A> xq(size_t(stride * 16));
      for (int t = 0; t < 16; t++) quantize_act_ref(xf.data() + t * stride * 32, xq.data() + t * stride, n);
      std::vector<BlockQ8x16> x16(static_cast<size_t>(nb));
      pack_q8x16(xq.data(), stride, nb, x16.data());
      float o[16], r[16];
      c.fast(wmis.data() + 2, x16.data(), n, o);
      c.ref(wq.data(), x16.data(), n, r);
      for (int t = 0; t < 16; t++) {
        std::vector<float> xd(static_cast<size_t>(n));
        for (int64_t b = 0; b < nb; b++)
          for (int i = 0; i < 32; i++) xd[size_t(b * 32 + i)] = xq[size_t(t * stride + b)].d * xq[size_t(t * stride + b)].qs[i];
        const std::string what = std::string(dtype_name(c.t)) + " n=" + std::to_string(n) + " t=" + std::to_string(t);
        // The fast kernels shift weights to unsigned (q8_0: +128, q4_0: +8 as stored) and subtract
        // offset * sum(x) afterwards, so float rounding scales with that term too.
        double xabs = 0;
        for (float v : xd) xabs += std::fabs(v);
        const double offset = c.t == DType::Q8_0 ? 128 : c.t == DType::Q4_0 ? 8 : 16;
        const double mag = abs_dot(c.t, wq.data(), xd.data(), n) + offset * xabs;
        expect_close(r[t], c.one(wq.data(), xq.data() + t * stride, n), mag, what + " ref");
        expect_close(o[t], r[t], mag, what);
      }
    }
  }
}

// The repacked Q4_0 decode kernel: the repack keeps every row's values (checked through the plain-layout
// reference dot of each row), and the fast kernel matches its twin, over row lengths 0..2N blocks.
TEST(CpuKernels, RepackedQ4_0GemvMatchesRef) {
  for (int64_t nb = 0; nb <= 24; nb++) {
    const int64_t n = nb * 32, rows = 16;
    const auto w = randn(size_t(rows * n), uint32_t(100 + nb), nb % 4 == 0 ? 1e-2f : 1.0f);
    const auto x = randn(size_t(n), uint32_t(200 + nb), 2.0f);
    std::vector<uint8_t> wq(size_t(rows) * dtype_row_bytes(DType::Q4_0, n) + 1);
    for (int64_t r = 0; r < rows; r++) {
      quantize_row(DType::Q4_0, w.data() + r * n, wq.data() + r * dtype_row_bytes(DType::Q4_0, n), n);
    }
    std::vector<BlockQ4_0x8> packed(size_t(rows / 8 * nb));
    repack_q4_0x8(wq.data(), rows, n, packed.data());
    std::vector<BlockQ8A> a(static_cast<size_t>(nb));
    quantize_act_ref(x.data(), a.data(), n);
    std::vector<float> xa(static_cast<size_t>(n));  // the activations as the kernel sees them
    for (int64_t i = 0; i < n; i++) xa[size_t(i)] = a[size_t(i / 32)].d * a[size_t(i / 32)].qs[i % 32];
    for (int64_t g = 0; g < rows / 8; g++) {
      float fast[8], ref[8];
      gemv_q4_0x8(packed.data() + g * nb, a.data(), n, fast);
      gemv_q4_0x8_ref(packed.data() + g * nb, a.data(), n, ref);
      for (int r = 0; r < 8; r++) {
        const void* row = wq.data() + (g * 8 + r) * dtype_row_bytes(DType::Q4_0, n);
        const double mag = abs_dot(DType::Q4_0, row, xa.data(), n);
        const float plain = dot_q4_0_ref(row, a.data(), n);
        expect_close(ref[r], plain, mag, "repack n=" + std::to_string(n));
        expect_close(fast[r], ref[r], mag, "gemv n=" + std::to_string(n));
      }
    }
  }
}

// The repacked layouts against several tokens (gemm_q4_0x8, gemm_q8_0x8: the wasm build's prefill and, for
// Q8_0, decode; this build's fast names forward to the twins, which kernel-check.cpp checks the wasm
// SIMD128 versions against): the Q8_0 repack keeps every row (the plain-layout reference dot of each row
// and token), and each fast kernel matches its twin, over 0..2N blocks and 1..13 tokens.
TEST(CpuKernels, RepackedGemmMatchesRef) {
  for (int64_t nb = 0; nb <= 12; nb++) {
    const int64_t n = nb * 32, rows = 16, nt = 1 + nb % 13;
    const auto w = randn(size_t(rows * n), uint32_t(500 + nb), nb % 4 == 0 ? 1e-2f : 1.0f);
    const auto x = randn(size_t(nt * n), uint32_t(600 + nb), 2.0f);
    std::vector<BlockQ8A> a(size_t(nt * nb));
    quantize_act_ref(x.data(), a.data(), nt * n);
    std::vector<BlockQ8W> aw(a.size()), aw_ref(a.size());
    widen_q8(a.data(), nt * nb, aw.data());
    widen_q8_ref(a.data(), nt * nb, aw_ref.data());
    for (size_t i = 0; i < a.size(); i++) {  // the widened blocks: the same values (i16 and i8), scale, sum
      EXPECT_EQ(aw[i].d, a[i].d);
      int32_t sum = 0;
      for (int j = 0; j < 32; j++) {
        EXPECT_EQ(aw[i].qs[j], a[i].qs[j]) << "block " << i;
        EXPECT_EQ(aw[i].q[j], a[i].qs[j]) << "block " << i;
        sum += a[i].qs[j];
      }
      EXPECT_EQ(aw[i].sum, sum);
      EXPECT_EQ(std::memcmp(&aw[i], &aw_ref[i], sizeof(BlockQ8W)), 0);
    }
    for (DType t : {DType::Q4_0, DType::Q8_0}) {
      const size_t rb = dtype_row_bytes(t, n);
      std::vector<uint8_t> wq(size_t(rows) * rb + 1);
      for (int64_t r = 0; r < rows; r++) quantize_row(t, w.data() + r * n, wq.data() + r * rb, n);
      std::vector<BlockQ4_0x8> p4(static_cast<size_t>(rows / 8 * nb));
      std::vector<BlockQ8_0x8> p8(static_cast<size_t>(rows / 8 * nb)), p8q(p8.size());
      const Q8x8Order order = q8_0x8_order();  // the order this build's gemm_q8_0x8 reads
      if (t == DType::Q4_0) repack_q4_0x8(wq.data(), rows, n, p4.data());
      if (t == DType::Q8_0) repack_q8_0x8(wq.data(), rows, n, p8.data(), order);
      if (t == DType::Q8_0) repack_q8_0x8(wq.data(), rows, n, p8q.data(), Q8x8Order::quads_u8);
      for (int64_t r = 0; r < rows; r++) {  // unpack_row: the inverse of the repack, byte for byte
        std::vector<uint8_t> back(rb);
        if (t == DType::Q4_0) unpack_row_q4_0x8(p4.data(), r, n, back.data());
        if (t == DType::Q8_0) unpack_row_q8_0x8(p8.data(), r, n, back.data(), order);
        EXPECT_TRUE(std::equal(back.begin(), back.end(), wq.begin() + ptrdiff_t(size_t(r) * rb))) << dtype_name(t) << " row " << r;
        if (t != DType::Q8_0) continue;
        std::fill(back.begin(), back.end(), uint8_t(0));  // and of the biased quads order (relaxed wasm builds)
        unpack_row_q8_0x8(p8q.data(), r, n, back.data(), Q8x8Order::quads_u8);
        EXPECT_TRUE(std::equal(back.begin(), back.end(), wq.begin() + ptrdiff_t(size_t(r) * rb))) << "quads_u8 row " << r;
      }
      for (int64_t g = 0; g < rows / 8; g++) {
        std::vector<float> fast(size_t(nt * 8)), ref(size_t(nt * 8));
        if (t == DType::Q4_0) {
          gemm_q4_0x8(p4.data() + g * nb, a.data(), nb, nt, n, fast.data(), 8);
          gemm_q4_0x8_ref(p4.data() + g * nb, a.data(), nb, nt, n, ref.data(), 8);
        } else {
          gemm_q8_0x8(p8.data() + g * nb, aw.data(), nb, nt, n, fast.data(), 8);
          gemm_q8_0x8_ref(p8.data() + g * nb, aw.data(), nb, nt, n, ref.data(), 8, order);
          std::vector<float> quads(ref.size());  // the twin on the quads order: the same integers, bit for bit
          gemm_q8_0x8_ref(p8q.data() + g * nb, aw.data(), nb, nt, n, quads.data(), 8, Q8x8Order::quads_u8);
          EXPECT_EQ(std::memcmp(quads.data(), ref.data(), ref.size() * sizeof(float)), 0) << "quads_u8 n=" << n;
        }
        for (int64_t tok = 0; tok < nt; tok++) {
          std::vector<float> xa(static_cast<size_t>(n));  // token tok as the kernel sees it
          for (int64_t i = 0; i < n; i++) {
            const BlockQ8A& blk = a[size_t(tok * nb + i / 32)];
            xa[size_t(i)] = blk.d * blk.qs[i % 32];
          }
          for (int r = 0; r < 8; r++) {
            const void* row = wq.data() + size_t(g * 8 + r) * rb;
            const double mag = abs_dot(t, row, xa.data(), n);
            const float plain = t == DType::Q4_0 ? dot_q4_0_ref(row, a.data() + tok * nb, n)
                                                 : dot_q8_0_ref(row, a.data() + tok * nb, n);
            const std::string what = std::string(dtype_name(t)) + " n=" + std::to_string(n) + " t=" + std::to_string(tok);
            expect_close(ref[size_t(tok * 8 + r)], plain, mag, "repack " + what);
            expect_close(fast[size_t(tok * 8 + r)], ref[size_t(tok * 8 + r)], mag, "gemm " + what);
          }
        }
      }
    }
  }
}

// The repacked Q4_K decode kernel, as above: the repack keeps each row (the plain-layout reference dot),
// and the fast kernel matches its twin, over 0..6 super-blocks and Gaussian and tiny-scale weights.
TEST(CpuKernels, RepackedQ4_KGemvMatchesRef) {
  for (int64_t nb = 0; nb <= 6; nb++) {
    const int64_t n = nb * 256, rows = 16;
    const auto w = randn(size_t(rows * n), uint32_t(300 + nb), nb % 2 == 0 ? 1e-2f : 1.0f);
    const auto x = randn(size_t(n), uint32_t(400 + nb), 2.0f);
    const size_t rb = dtype_row_bytes(DType::Q4_K, n);
    std::vector<uint8_t> wq(size_t(rows) * rb + 1);
    for (int64_t r = 0; r < rows; r++) quantize_row(DType::Q4_K, w.data() + r * n, wq.data() + r * rb, n);
    std::vector<BlockQ4_Kx8> packed(size_t(rows / 8 * nb));
    repack_q4_kx8(wq.data(), rows, n, packed.data());
    std::vector<BlockQ8A> a(static_cast<size_t>(n / 32));
    quantize_act_ref(x.data(), a.data(), n);
    std::vector<float> xa(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; i++) xa[size_t(i)] = a[size_t(i / 32)].d * a[size_t(i / 32)].qs[i % 32];
    for (int64_t g = 0; g < rows / 8; g++) {
      float fast[8], ref[8];
      gemv_q4_kx8(packed.data() + g * nb, a.data(), n, fast);
      gemv_q4_kx8_ref(packed.data() + g * nb, a.data(), n, ref);
      for (int r = 0; r < 8; r++) {
        const void* row = wq.data() + size_t(g * 8 + r) * rb;
        // The zero-point (min) term adds its own magnitude, as for the 8-token kernels.
        std::vector<float> wd(static_cast<size_t>(n));
        dequantize_row(DType::Q4_K, row, wd.data(), n);
        double mag = abs_dot(DType::Q4_K, row, xa.data(), n);
        for (int64_t i = 0; i < n; i++) mag += std::fabs(double(xa[size_t(i)]));
        const float plain = dot_q4_k_ref(row, a.data(), n);
        expect_close(ref[r], plain, mag, "repack n=" + std::to_string(n));
        expect_close(fast[r], ref[r], mag, "gemv n=" + std::to_string(n));
      }
    }
  }
}
