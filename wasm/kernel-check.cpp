// kernel-check.cpp — an exported self-test of the wasm build (no GoogleTest in wasm): every fast kernel
// of kernels.h against its scalar twin over a sweep of sizes, on pseudo-random data.
// Tolerances: activation quantization, the Q8_0/Q4_0 dots, f16 -> f32 (all 65536 halves) and axpy bit for bit (exact integer block sums,
// the same float operations in the same order); float dots 1e-5 relative to sum(|w x|) or 1e-5 * n (the
// summation order differs); attention as tests/test-cpu-kernels.cpp: 2e-6 * size.
// sotto_kernel_check() prints one line per mismatch and a summary to stderr and returns the mismatches.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "backend/cpu/kernels.h"
#include "core/dtype.h"
#include "core/quant.h"

#define SOTTO_EXPORT extern "C" __attribute__((visibility("default"), used))

namespace {

using namespace sotto;
using namespace sotto::cpu;

struct Rng {
  uint64_t s = 0x9e3779b97f4a7c15ull;
  uint32_t next() {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    return uint32_t(s >> 16);
  }
  float uniform() { return float(next() % 2000001) / 1000000.0f - 1.0f; }  // [-1, 1]
};

struct Checker {
  int checked = 0, bad = 0;
  void near(const char* what, int64_t n, double got, double want, double tol) {
    checked++;
    if (!(std::fabs(got - want) <= tol)) {
      bad++;
      std::fprintf(stderr, "kernel-check: %s n=%lld: %.9g vs scalar %.9g (tol %.3g)\n", what, (long long)n, got,
                   want, tol);
    }
  }
};

std::vector<float> floats(Rng& r, int64_t n) {
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = r.uniform();
  return v;
}
// Random weight blocks with finite, moderate f16 scales at the given byte offsets of each block.
std::vector<uint8_t> blocks(Rng& r, int64_t nb, size_t block_bytes, std::vector<size_t> scale_offsets) {
  std::vector<uint8_t> v(size_t(nb) * block_bytes);
  for (uint8_t& b : v) b = uint8_t(r.next());
  for (int64_t b = 0; b < nb; b++) {
    for (size_t off : scale_offsets) {
      const uint16_t h = f32_to_fp16(0.01f + 0.02f * std::fabs(r.uniform()));
      std::memcpy(&v[size_t(b) * block_bytes + off], &h, 2);
    }
  }
  return v;
}
double abs_dot(const std::vector<float>& w, const float* x, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; i++) s += std::fabs(double(w[size_t(i)]) * x[i]);
  return s;
}

}  // namespace

std::vector<uint16_t> halves(Rng& r, int64_t n) {
  std::vector<uint16_t> v(static_cast<size_t>(n));
  for (uint16_t& h : v) h = f32_to_fp16(r.uniform());
  return v;
}

SOTTO_EXPORT int sotto_kernel_check() {
  Rng r;
  Checker c;
  {  // every half, bit for bit (NaN payloads included)
    std::vector<uint16_t> all(65536 + 3);
    for (size_t i = 0; i < all.size(); i++) all[i] = uint16_t(i);
    std::vector<float> a(all.size()), b(all.size());
    f16_to_f32_row(all.data(), a.data(), int64_t(all.size()));
    f16_to_f32_row_ref(all.data(), b.data(), int64_t(all.size()));
    c.near("f16_to_f32_row (bits differ)", int64_t(all.size()), std::memcmp(a.data(), b.data(), a.size() * 4), 0, 0);
  }
  for (int64_t n : {32, 64, 96, 256, 512, 1024, 2048, 8224}) {  // 8224: 257 blocks, gemm_q8_0x8's scale chunks
    // activation quantization: bit for bit
    std::vector<float> x = floats(r, 4 * n);
    x[3] = 0.5f;  // a tie candidate after scaling is fine either way: both round half to even
    std::vector<BlockQ8A> qa(size_t(4 * n / 32)), qb(qa.size());
    quantize_act(x.data(), qa.data(), 4 * n);
    quantize_act_ref(x.data(), qb.data(), 4 * n);
    c.near("quantize_act (bytes differ)", n, std::memcmp(qa.data(), qb.data(), qa.size() * sizeof(BlockQ8A)), 0, 0);

    const int64_t nb = n / 32;
    const int64_t stride = nb;  // 4 activation rows back to back
    // Q8_0 and Q4_0 weight rows
    std::vector<uint8_t> w8 = blocks(r, nb, sizeof(BlockQ8_0), {0});
    std::vector<uint8_t> w4 = blocks(r, nb, sizeof(BlockQ4_0), {0});
    float o[8], o_ref[8];
    const double tq = 0;  // exact integer block sums, blocks accumulated in the scalar order
    c.near("dot_q8_0", n, dot_q8_0(w8.data(), qb.data(), n), dot_q8_0_ref(w8.data(), qb.data(), n), tq);
    c.near("dot_q4_0", n, dot_q4_0(w4.data(), qb.data(), n), dot_q4_0_ref(w4.data(), qb.data(), n), tq);
    dot4_q8_0(w8.data(), qb.data(), stride, n, o);
    dot4_q8_0_ref(w8.data(), qb.data(), stride, n, o_ref);
    for (int t = 0; t < 4; t++) c.near("dot4_q8_0", n, o[t], o_ref[t], tq);
    dot4_q4_0(w4.data(), qb.data(), stride, n, o);
    dot4_q4_0_ref(w4.data(), qb.data(), stride, n, o_ref);
    for (int t = 0; t < 4; t++) c.near("dot4_q4_0", n, o[t], o_ref[t], tq);
    {  // the repacked Q4_0 and Q8_0 layouts: 8 rows against 1..13 tokens (gemm tiles of 8, 4 and the rest)
       // and one token (gemv_q4_0x8), against the twins; each row's two float lanes are added at the end,
       // so the tolerance is relative to sum |w x| (2e-6, as tests/test-cpu-kernels.cpp)
      const int64_t max_nt = 13;
      std::vector<BlockQ8A> xs(size_t(max_nt * nb));
      std::vector<float> xf = floats(r, max_nt * n);
      quantize_act_ref(xf.data(), xs.data(), max_nt * n);
      std::vector<BlockQ8W> xw(xs.size()), xw_ref(xs.size());  // gemm_q8_0x8's widened activations
      widen_q8(xs.data(), max_nt * nb, xw.data());
      widen_q8_ref(xs.data(), max_nt * nb, xw_ref.data());
      for (size_t i = 0; i < xs.size(); i++) {
        c.near("widen_q8", n, std::memcmp(&xw[i], &xw_ref[i], sizeof(BlockQ8W)) == 0 ? 0.0f : 1.0f, 0.0f, 0);
      }
      std::vector<uint8_t> w4r = blocks(r, 8 * nb, sizeof(BlockQ4_0), {0});
      std::vector<uint8_t> w8r = blocks(r, 8 * nb, sizeof(BlockQ8_0), {0});
      std::vector<BlockQ4_0x8> p4(static_cast<size_t>(nb));
      // Q8_0 in the order this build's gemm_q8_0x8 reads (quads_u8 in a relaxed build on an engine whose
      // dot reads bytes as unsigned, else pairs) and in pairs for gemm_q8_0x8_simd128
      const Q8x8Order order = q8_0x8_order();
      std::vector<BlockQ8_0x8> p8(static_cast<size_t>(nb)), p8p(static_cast<size_t>(nb));
      repack_q4_0x8(w4r.data(), 8, n, p4.data());
      repack_q8_0x8(w8r.data(), 8, n, p8.data(), order);
      repack_q8_0x8(w8r.data(), 8, n, p8p.data(), Q8x8Order::pairs);
      for (int row = 0; row < 8; row++) {  // the repack keeps every row
        std::vector<uint8_t> back(size_t(nb) * sizeof(BlockQ8_0));
        unpack_row_q8_0x8(p8.data(), row, n, back.data(), order);
        c.near("unpack_row_q8_0x8 (bytes differ)", n,
               std::memcmp(back.data(), w8r.data() + size_t(row) * back.size(), back.size()), 0, 0);
      }
      // sum |w x| of one row and token, from the plain layout
      auto mag = [&](bool q4, int row, int64_t t) {
        double m = 0;
        for (int64_t b = 0; b < nb; b++) {
          const BlockQ8A& xb = xs[size_t(t * nb + b)];
          for (int i = 0; i < 32; i++) {
            float wv;
            if (q4) {
              const BlockQ4_0& wb = reinterpret_cast<const BlockQ4_0*>(w4r.data())[row * nb + b];
              wv = fp16_to_f32(wb.d) * float(i < 16 ? (wb.qs[i] & 15) - 8 : (wb.qs[i - 16] >> 4) - 8);
            } else {
              const BlockQ8_0& wb = reinterpret_cast<const BlockQ8_0*>(w8r.data())[row * nb + b];
              wv = fp16_to_f32(wb.d) * float(wb.qs[i]);
            }
            m += std::fabs(double(wv) * xb.d * xb.qs[i]);
          }
        }
        return 2e-6 * m + 1e-30;
      };
      std::vector<float> g(size_t(max_nt * 8)), g_ref(g.size());
      float v[8];
      for (int64_t nt = 1; nt <= max_nt; nt++) {
        gemm_q4_0x8(p4.data(), xs.data(), nb, nt, n, g.data(), 8);
        gemm_q4_0x8_ref(p4.data(), xs.data(), nb, nt, n, g_ref.data(), 8);
        for (int64_t i = 0; i < nt * 8; i++) c.near("gemm_q4_0x8", n, g[size_t(i)], g_ref[size_t(i)], mag(true, int(i % 8), i / 8));
        // the relaxed-SIMD build's tiles == the SIMD128 tiles, bit for bit (the same function in the SIMD128 build)
        gemm_q4_0x8_simd128(p4.data(), xs.data(), nb, nt, n, g_ref.data(), 8);
        for (int64_t i = 0; i < nt * 8; i++) {
          c.near(kernels_wasm_relaxed() ? "gemm_q4_0x8 relaxed == simd128" : "gemm_q4_0x8 == simd128", n,
                 std::memcmp(&g[size_t(i)], &g_ref[size_t(i)], 4) == 0 ? 0.0 : 1.0, 0.0, 0);
        }
        gemm_q8_0x8(p8.data(), xw.data(), nb, nt, n, g.data(), 8);
        gemm_q8_0x8_ref(p8.data(), xw.data(), nb, nt, n, g_ref.data(), 8, order);
        for (int64_t i = 0; i < nt * 8; i++) c.near("gemm_q8_0x8", n, g[size_t(i)], g_ref[size_t(i)], mag(false, int(i % 8), i / 8));
        gemm_q8_0x8_simd128(p8p.data(), xw.data(), nb, nt, n, g_ref.data(), 8);  // bit for bit, as Q4_0 above
        for (int64_t i = 0; i < nt * 8; i++) {
          c.near(order == Q8x8Order::quads_u8 ? "gemm_q8_0x8 quads_u8 == simd128" : "gemm_q8_0x8 == simd128", n,
                 std::memcmp(&g[size_t(i)], &g_ref[size_t(i)], 4) == 0 ? 0.0 : 1.0, 0.0, 0);
        }
      }
      gemv_q4_0x8(p4.data(), xs.data(), n, v);
      gemm_q4_0x8_ref(p4.data(), xs.data(), nb, 1, n, g_ref.data(), 8);
      for (int row = 0; row < 8; row++) c.near("gemv_q4_0x8", n, v[row], g_ref[size_t(row)], mag(true, row, 0));
      gemm_q4_0x8_simd128(p4.data(), xs.data(), nb, 1, n, g_ref.data(), 8);
      for (int row = 0; row < 8; row++) {
        c.near("gemv_q4_0x8 == simd128", n, std::memcmp(&v[row], &g_ref[size_t(row)], 4) == 0 ? 0.0 : 1.0, 0.0, 0);
      }
    }

    // float dots over lengths that are not multiples of 4 too
    for (int64_t m : {n, n + 3}) {
      std::vector<float> w = floats(r, 2 * m), xs = floats(r, 4 * m);
      const double tf = 1e-5 * (1.0 + abs_dot(w, xs.data(), m));
      c.near("dot_f32", m, dot_f32(w.data(), xs.data(), m), dot_f32_ref(w.data(), xs.data(), m), tf);
      dot4_f32(w.data(), xs.data(), m, m, o);
      dot4_f32_ref(w.data(), xs.data(), m, m, o_ref);
      for (int t = 0; t < 4; t++) c.near("dot4_f32", m, o[t], o_ref[t], 1e-5 * (1.0 + double(m)));
      dot2x4_f32(w.data(), m, xs.data(), m, m, o);
      dot2x4_f32_ref(w.data(), m, xs.data(), m, m, o_ref);
      for (int t = 0; t < 8; t++) c.near("dot2x4_f32", m, o[t], o_ref[t], 1e-5 * (1.0 + double(m)));
      std::vector<float> y = floats(r, m), y_ref = y;
      axpy_f32(0.37f, xs.data(), y.data(), m);
      axpy_f32_ref(0.37f, xs.data(), y_ref.data(), m);
      for (int64_t i = 0; i < m; i++) c.near("axpy_f32", m, y[size_t(i)], y_ref[size_t(i)], 0);
      std::vector<uint16_t> wh = halves(r, 2 * m);
      c.near("dot_f16", m, dot_f16(wh.data(), xs.data(), m), dot_f16_ref(wh.data(), xs.data(), m), 1e-5 * (1.0 + double(m)));
      dot4_f16(wh.data(), xs.data(), m, m, o);
      dot4_f16_ref(wh.data(), xs.data(), m, m, o_ref);
      for (int t = 0; t < 4; t++) c.near("dot4_f16", m, o[t], o_ref[t], 1e-5 * (1.0 + double(m)));
      dot2x4_f16(wh.data(), m, xs.data(), m, m, o);
      dot2x4_f16_ref(wh.data(), m, xs.data(), m, m, o_ref);
      for (int t = 0; t < 8; t++) c.near("dot2x4_f16", m, o[t], o_ref[t], 1e-5 * (1.0 + double(m)));
      axpy_f16(-0.61f, wh.data(), y.data(), m);
      axpy_f16_ref(-0.61f, wh.data(), y_ref.data(), m);
      for (int64_t i = 0; i < m; i++) c.near("axpy_f16", m, y[size_t(i)], y_ref[size_t(i)], 0);
    }

    // attention over nj rows of hd (= n / 8) floats with padding between rows
    const int64_t hd = std::max<int64_t>(4, n / 8), nj = 7;
    const size_t rb = size_t(hd + 5) * sizeof(float);
    std::vector<float> kv = floats(r, (hd + 5) * nj), q = floats(r, hd), p = floats(r, nj);
    std::vector<float> s(static_cast<size_t>(nj)), s_ref(static_cast<size_t>(nj));
    attn_scores_f32(q.data(), kv.data(), rb, nj, hd, s.data());
    attn_scores_f32_ref(q.data(), kv.data(), rb, nj, hd, s_ref.data());
    for (int64_t j = 0; j < nj; j++) c.near("attn_scores_f32", hd, s[size_t(j)], s_ref[size_t(j)], 2e-6 * double(hd));
    std::vector<float> acc(size_t(hd), 0.0f), acc_ref(size_t(hd), 0.0f);
    attn_accum_f32(p.data(), kv.data(), rb, nj, hd, acc.data());
    attn_accum_f32_ref(p.data(), kv.data(), rb, nj, hd, acc_ref.data());
    for (int64_t i = 0; i < hd; i++) c.near("attn_accum_f32", hd, acc[size_t(i)], acc_ref[size_t(i)], 2e-6 * double(nj + 1) * 4);
    const size_t rbh = size_t(hd + 6) * sizeof(uint16_t);
    std::vector<uint16_t> kvh = halves(r, (hd + 6) * nj);
    attn_scores_f16(q.data(), kvh.data(), rbh, nj, hd, s.data());
    attn_scores_f16_ref(q.data(), kvh.data(), rbh, nj, hd, s_ref.data());
    for (int64_t j = 0; j < nj; j++) c.near("attn_scores_f16", hd, s[size_t(j)], s_ref[size_t(j)], 2e-6 * double(hd));
    attn_accum_f16(p.data(), kvh.data(), rbh, nj, hd, acc.data());
    attn_accum_f16_ref(p.data(), kvh.data(), rbh, nj, hd, acc_ref.data());
    for (int64_t i = 0; i < hd; i++) c.near("attn_accum_f16", hd, acc[size_t(i)], acc_ref[size_t(i)], 2e-6 * double(nj + 1) * 4);
  }
  std::fprintf(stderr, "kernel-check (%s, Q8_0 %s): %d values checked, %d mismatches\n",
               kernels_wasm_relaxed() ? "relaxed-simd" : "simd128",
               q8_0x8_order() == Q8x8Order::quads_u8 ? "quads_u8" : "pairs", c.checked, c.bad);
  return c.bad;
}
