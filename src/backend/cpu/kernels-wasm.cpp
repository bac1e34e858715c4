// kernels-wasm.cpp — the fast kernel names for wasm builds with SIMD128 (contracts in kernels.h).
// Vectorised: activation quantization and widening to i16 (widen_q8: gemm_q8_0x8's input, made once per
// matmul), the Q8_0 / Q4_0 dot products (one row and 4 rows), the repacked
// Q4_0 and Q8_0 layouts against any number of tokens (gemv_q4_0x8, gemm_q4_0x8, gemm_q8_0x8: the matmul
// uses them for every Q4_0 / Q8_0 matrix with 8k rows, decode and prefill), the f32 and f16 dot products
// (1, 4 and 2x4 rows), axpy, f16 -> f32 rows and the f32/f16 attention loops (f16 converted exactly with
// integer ops: SIMD128 has no f16 instructions). The rest forwards to the scalar twins (kernels-ref.cpp):
// bf16, f32 -> f16 rounding, exp, Q4_K and the interleaved-token layouts are rare in the small models this
// build targets (dot8_has / dot16_has say false, so the other matmuls use dot4). Integer dot products are
// exact; the plain-layout dots accumulate block sums in the scalar order, so they agree with the twins bit
// for bit; the repacked kernels sum blocks in SIMD lanes (Q4_0: two float lanes a row), so they agree to
// float rounding.
// Relaxed SIMD (compiled a second time with -mrelaxed-simd -ffp-contract=off by wasm/build.sh for
// sotto-relaxed.wasm): the repacked Q4_0 gemm/gemv use one i32x4.relaxed_dot_i8x16_i7x16_add per 16 weight
// bytes (the nibbles 0..15 are the 7-bit operand, so every engine gives the exact integers), and Q8_0 does the
// same with its weights biased to 0..255 (the quads_u8 order of kernels.h) where a probe shows that the
// engine's dot reads them as unsigned bytes exactly (V8 on x86 CPUs with AVX-VNNI); elsewhere Q8_0 keeps the
// pairs order and the SIMD128 loop. Their integer sums are those of the SIMD128 tiles and the float steps the
// same, so both builds agree bit for bit (gemm_q4_0x8_simd128 / gemm_q8_0x8_simd128 stay in the relaxed build
// for kernel-check to compare). No relaxed FMA. Tried and dropped for Q8_0: weights or activations split in
// two 7-bit halves (two dots per 16 bytes: 0.8-1.3x in Chromium 156, 0.43-0.45x in Node 20;
// docs/benchmarks.md).
// Does not: threads (the pool runs these per part).
#include "backend/cpu/kernels.h"

#if defined(SOTTO_KERNELS_WASM)

#include <wasm_simd128.h>

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "core/dtype.h"

namespace sotto::cpu {

namespace {

inline float hsum(v128_t v) {
  return wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1) + wasm_f32x4_extract_lane(v, 2) +
         wasm_f32x4_extract_lane(v, 3);
}
inline int32_t hsum_i32(v128_t v) {
  return wasm_i32x4_extract_lane(v, 0) + wasm_i32x4_extract_lane(v, 1) + wasm_i32x4_extract_lane(v, 2) +
         wasm_i32x4_extract_lane(v, 3);
}
// sum of a[i] * b[i] over 16 signed bytes each, as 4 partial i32 lanes.
inline v128_t dot_i8x16(v128_t a, v128_t b) {
  const v128_t lo = wasm_i32x4_dot_i16x8(wasm_i16x8_extend_low_i8x16(a), wasm_i16x8_extend_low_i8x16(b));
  const v128_t hi = wasm_i32x4_dot_i16x8(wasm_i16x8_extend_high_i8x16(a), wasm_i16x8_extend_high_i8x16(b));
  return wasm_i32x4_add(lo, hi);
}
// The same with a unsigned (0..15 nibbles).
inline v128_t dot_u8x16(v128_t a, v128_t b) {
  const v128_t lo = wasm_i32x4_dot_i16x8(wasm_u16x8_extend_low_u8x16(a), wasm_i16x8_extend_low_i8x16(b));
  const v128_t hi = wasm_i32x4_dot_i16x8(wasm_u16x8_extend_high_u8x16(a), wasm_i16x8_extend_high_i8x16(b));
  return wasm_i32x4_add(lo, hi);
}

inline int32_t isum_q8_0(const BlockQ8_0& w, const BlockQ8A& x) {
  const v128_t w0 = wasm_v128_load(w.qs), w1 = wasm_v128_load(w.qs + 16);
  return hsum_i32(wasm_i32x4_add(dot_i8x16(w0, wasm_v128_load(x.qs)), dot_i8x16(w1, wasm_v128_load(x.qs + 16))));
}
inline int32_t isum_q4_0(v128_t lo, v128_t hi, const BlockQ8A& x) {
  return hsum_i32(wasm_i32x4_add(dot_u8x16(lo, wasm_v128_load(x.qs)), dot_u8x16(hi, wasm_v128_load(x.qs + 16))));
}

// 4 halves -> 4 floats, exact for every input (also subnormals, inf, NaN payloads): the exponent and
// mantissa bits moved to float position and scaled by 2^112 (exact: a power of two, normal result);
// exponent 31 (inf / NaN) is mapped to float exponent 255.
inline v128_t f16x4_to_f32(const uint16_t* h) {
  const v128_t x = wasm_u32x4_load16x4(h);
  const v128_t em = wasm_i32x4_shl(wasm_v128_and(x, wasm_i32x4_splat(0x7fff)), 13);
  const v128_t sign = wasm_i32x4_shl(wasm_v128_and(x, wasm_i32x4_splat(0x8000)), 16);
  const v128_t scaled = wasm_f32x4_mul(em, wasm_f32x4_splat(0x1p112f));
  const v128_t special = wasm_i32x4_ge(em, wasm_i32x4_splat(0x0f800000));
  const v128_t infnan = wasm_v128_or(em, wasm_i32x4_splat(0x7f800000));
  return wasm_v128_or(wasm_v128_bitselect(infnan, scaled, special), sign);
}

}  // namespace

// max |x| with f32x4.pmax (x86 maxps; the NaN-propagating f32x4.max costs V8 several instructions more; a NaN
// lane is skipped, as std::fmax does); round half to even by adding 1.5 * 2^23, exact for |v| < 2^22 and
// the same integer as nearbyint in the default rounding mode (|x * id| <= 127 for finite x and a normal
// max). 6x the speed of f32x4.nearest + i32x4.trunc_sat in V8. Off that range, as trunc_sat did: NaN
// (0 * inf where max |x| is subnormal, or an inf lane times 0) -> 0, +-inf -> 127 / -128 after the narrows.
void quantize_act(const float* x, BlockQ8A* y, int64_t n) {
  const v128_t magic = wasm_f32x4_splat(12582912.0f);
  for (int64_t b = 0; b < n / 32; b++, x += 32) {
    v128_t m = wasm_f32x4_splat(0.0f);
    for (int i = 0; i < 32; i += 4) m = wasm_f32x4_pmax(m, wasm_f32x4_abs(wasm_v128_load(x + i)));
    m = wasm_f32x4_pmax(m, wasm_i32x4_shuffle(m, m, 2, 3, 0, 1));
    m = wasm_f32x4_pmax(m, wasm_i32x4_shuffle(m, m, 1, 0, 3, 2));
    const float amax = wasm_f32x4_extract_lane(m, 0);
    const float d = amax / 127.0f;
    const v128_t id = wasm_f32x4_splat(d != 0.0f ? 127.0f / amax : 0.0f);
    v128_t sum = wasm_i32x4_splat(0);
    v128_t q32[8];
    for (int i = 0; i < 8; i++) {
      const v128_t v = wasm_f32x4_mul(wasm_v128_load(x + 4 * i), id);
      q32[i] = wasm_i32x4_sub(wasm_f32x4_add(wasm_v128_and(v, wasm_f32x4_eq(v, v)), magic), magic);
      sum = wasm_i32x4_add(sum, q32[i]);
    }
    for (int i = 0; i < 2; i++) {
      const v128_t a = wasm_i16x8_narrow_i32x4(q32[4 * i], q32[4 * i + 1]);
      const v128_t c = wasm_i16x8_narrow_i32x4(q32[4 * i + 2], q32[4 * i + 3]);
      wasm_v128_store(y[b].qs + 16 * i, wasm_i8x16_narrow_i16x8(a, c));
    }
    y[b].d = d;
    y[b].s = d * float(hsum_i32(sum));
  }
}

float dot_q8_0(const void* w, const BlockQ8A* x, int64_t n) {
  const auto* wb = static_cast<const BlockQ8_0*>(w);
  float acc = 0.0f;
  for (int64_t b = 0; b < n / QK8_0; b++) acc += fp16_to_f32(wb[b].d) * x[b].d * float(isum_q8_0(wb[b], x[b]));
  return acc;
}

void dot4_q8_0(const void* w, const BlockQ8A* x, int64_t stride, int64_t n, float* out) {
  const auto* wb = static_cast<const BlockQ8_0*>(w);
  float acc[4] = {0, 0, 0, 0};
  for (int64_t b = 0; b < n / QK8_0; b++) {
    const float dw = fp16_to_f32(wb[b].d);
    for (int t = 0; t < 4; t++) {
      const BlockQ8A& xb = x[t * stride + b];
      acc[t] += dw * xb.d * float(isum_q8_0(wb[b], xb));
    }
  }
  for (int t = 0; t < 4; t++) out[t] = acc[t];
}

float dot_q4_0(const void* w, const BlockQ8A* x, int64_t n) {
  const auto* wb = static_cast<const BlockQ4_0*>(w);
  const v128_t mask = wasm_i8x16_splat(0x0f);
  float acc = 0.0f;
  for (int64_t b = 0; b < n / QK4_0; b++) {
    const v128_t q = wasm_v128_load(wb[b].qs);
    const int32_t isum = isum_q4_0(wasm_v128_and(q, mask), wasm_u8x16_shr(q, 4), x[b]);
    acc += fp16_to_f32(wb[b].d) * (x[b].d * float(isum) - 8.0f * x[b].s);
  }
  return acc;
}

void dot4_q4_0(const void* w, const BlockQ8A* x, int64_t stride, int64_t n, float* out) {
  const auto* wb = static_cast<const BlockQ4_0*>(w);
  const v128_t mask = wasm_i8x16_splat(0x0f);
  float acc[4] = {0, 0, 0, 0};
  for (int64_t b = 0; b < n / QK4_0; b++) {
    const v128_t q = wasm_v128_load(wb[b].qs);
    const v128_t lo = wasm_v128_and(q, mask), hi = wasm_u8x16_shr(q, 4);
    const float dw = fp16_to_f32(wb[b].d);
    for (int t = 0; t < 4; t++) {
      const BlockQ8A& xb = x[t * stride + b];
      acc[t] += dw * (xb.d * float(isum_q4_0(lo, hi, xb)) - 8.0f * xb.s);
    }
  }
  for (int t = 0; t < 4; t++) out[t] = acc[t];
}

namespace {

// The repacked Q4_0 layout (kernels.h: BlockQ4_0x8, shared with the x86 gemv) against T tokens. Per block,
// each 16 bytes of nibbles (4 rows x 4 values) become signed (q - 8) i16 vectors once: rows r, r+1 in one, r+2, r+3 in
// the other, wv[g][h][0 | 1] for values 4g..4g+3 of rows 4h..4h+3. Then for each token, x's 4 values that
// meet them are broadcast ([x0..x3, x0..x3]) and i32x4.dot_i16x8 leaves "pair lanes": (row r, values 0-1),
// (row r, values 2-3), (row r+1, ...), which keep accumulating in that form (the float scales are laid out
// the same way: d_r, d_r, d_r+1, d_r+1) and are added up at the end.
inline void decode_weights(const BlockQ4_0x8& wb, v128_t (&wv)[8][2][2]) {
  const v128_t low4 = wasm_i8x16_splat(0x0f), eight = wasm_i8x16_splat(8);
  for (int k = 0; k < 4; k++) {
    for (int h = 0; h < 2; h++) {
      const v128_t q = wasm_v128_load(wb.qs + 32 * k + 16 * h);
      const v128_t lo = wasm_i8x16_sub(wasm_v128_and(q, low4), eight);  // values 4k..4k+3
      const v128_t hi = wasm_i8x16_sub(wasm_u8x16_shr(q, 4), eight);    // values 16+4k..16+4k+3
      wv[k][h][0] = wasm_i16x8_extend_low_i8x16(lo);
      wv[k][h][1] = wasm_i16x8_extend_high_i8x16(lo);
      wv[4 + k][h][0] = wasm_i16x8_extend_low_i8x16(hi);
      wv[4 + k][h][1] = wasm_i16x8_extend_high_i8x16(hi);
    }
  }
}
template <int T>
void gemm_q4_0x8_tile(const BlockQ4_0x8* w, const BlockQ8A* x, int64_t stride, int64_t n, float* y, int64_t ys) {
  v128_t acc[T][4];
  for (auto& a : acc)
    for (v128_t& v : a) v = wasm_f32x4_splat(0.0f);
  for (int64_t b = 0; b < n / 32; b++) {
    const BlockQ4_0x8& wb = w[b];
    v128_t wv[8][2][2];
    decode_weights(wb, wv);
    const v128_t d03 = f16x4_to_f32(wb.d), d47 = f16x4_to_f32(wb.d + 4);
    const v128_t dp[4] = {wasm_i32x4_shuffle(d03, d03, 0, 0, 1, 1), wasm_i32x4_shuffle(d03, d03, 2, 2, 3, 3),
                          wasm_i32x4_shuffle(d47, d47, 0, 0, 1, 1), wasm_i32x4_shuffle(d47, d47, 2, 2, 3, 3)};
    for (int t = 0; t < T; t++) {
      const BlockQ8A& xb = x[t * stride + b];
      v128_t s[4] = {wasm_i32x4_splat(0), wasm_i32x4_splat(0), wasm_i32x4_splat(0), wasm_i32x4_splat(0)};
      for (int g = 0; g < 8; g++) {
        const v128_t xv = wasm_i16x8_extend_low_i8x16(wasm_v128_load32_splat(xb.qs + 4 * g));
        for (int h = 0; h < 2; h++) {
          s[2 * h] = wasm_i32x4_add(s[2 * h], wasm_i32x4_dot_i16x8(wv[g][h][0], xv));
          s[2 * h + 1] = wasm_i32x4_add(s[2 * h + 1], wasm_i32x4_dot_i16x8(wv[g][h][1], xv));
        }
      }
      const v128_t xd = wasm_f32x4_splat(xb.d);
      for (int p = 0; p < 4; p++) {
        acc[t][p] = wasm_f32x4_add(acc[t][p], wasm_f32x4_mul(wasm_f32x4_convert_i32x4(s[p]), wasm_f32x4_mul(dp[p], xd)));
      }
    }
  }
  for (int t = 0; t < T; t++) {
    for (int p = 0; p < 4; p++) {
      y[t * ys + 2 * p] = wasm_f32x4_extract_lane(acc[t][p], 0) + wasm_f32x4_extract_lane(acc[t][p], 1);
      y[t * ys + 2 * p + 1] = wasm_f32x4_extract_lane(acc[t][p], 2) + wasm_f32x4_extract_lane(acc[t][p], 3);
    }
  }
}

#if defined(__wasm_relaxed_simd__)
// The same tile with relaxed dots. decode_weights_relaxed reorders each block's nibbles (once per tile of
// tokens) so that one i32 lane holds the 4 values that the SIMD128 tile adds into one of its pair lanes:
// for groups g, g+1 (G = g / 2) and rows r, r+1 of the vector, lanes = (r: values 8G+{0,1,4,5}),
// (r: 8G+{2,3,6,7}), (r+1: even), (r+1: odd); the token's 8 values 8G..8G+7 are shuffled to match
// ([x0 x1 x4 x5 x2 x3 x6 x7] twice). The nibbles q (0..15) give sum q x; the -8 is one more dot of x with
// 8s per G, subtracted: the same integers as the SIMD128 tile's sum (q - 8) x, lane for lane.
inline void decode_weights_relaxed(const BlockQ4_0x8& wb, v128_t (&wq)[4][2][2]) {
  const v128_t low4 = wasm_i8x16_splat(0x0f);
  v128_t nib[8][2];  // nib[g][h]: values 4g..4g+3 of rows 4h..4h+3 (byte 4i + j: row 4h + i, value 4g + j)
  for (int k = 0; k < 4; k++) {
    for (int h = 0; h < 2; h++) {
      const v128_t q = wasm_v128_load(wb.qs + 32 * k + 16 * h);
      nib[k][h] = wasm_v128_and(q, low4);
      nib[4 + k][h] = wasm_u8x16_shr(q, 4);
    }
  }
  for (int G = 0; G < 4; G++) {
    for (int h = 0; h < 2; h++) {
      const v128_t a = nib[2 * G][h], b = nib[2 * G + 1][h];
      wq[G][h][0] = wasm_i8x16_shuffle(a, b, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
      wq[G][h][1] = wasm_i8x16_shuffle(a, b, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
    }
  }
}
template <int T>
void gemm_q4_0x8_tile_relaxed(const BlockQ4_0x8* w, const BlockQ8A* x, int64_t stride, int64_t n, float* y,
                              int64_t ys) {
  v128_t acc[T][4];
  for (auto& a : acc)
    for (v128_t& v : a) v = wasm_f32x4_splat(0.0f);
  const v128_t eights = wasm_i8x16_splat(8);
  for (int64_t b = 0; b < n / 32; b++) {
    const BlockQ4_0x8& wb = w[b];
    v128_t wq[4][2][2];
    decode_weights_relaxed(wb, wq);
    const v128_t d03 = f16x4_to_f32(wb.d), d47 = f16x4_to_f32(wb.d + 4);
    const v128_t dp[4] = {wasm_i32x4_shuffle(d03, d03, 0, 0, 1, 1), wasm_i32x4_shuffle(d03, d03, 2, 2, 3, 3),
                          wasm_i32x4_shuffle(d47, d47, 0, 0, 1, 1), wasm_i32x4_shuffle(d47, d47, 2, 2, 3, 3)};
    for (int t = 0; t < T; t++) {
      const BlockQ8A& xb = x[t * stride + b];
      v128_t s[4] = {wasm_i32x4_splat(0), wasm_i32x4_splat(0), wasm_i32x4_splat(0), wasm_i32x4_splat(0)};
      v128_t off = wasm_i32x4_splat(0);
      for (int half = 0; half < 2; half++) {
        const v128_t xq = wasm_v128_load(xb.qs + 16 * half);
        for (int j = 0; j < 2; j++) {
          const int G = 2 * half + j;
          const v128_t xv = j == 0 ? wasm_i8x16_shuffle(xq, xq, 0, 1, 4, 5, 2, 3, 6, 7, 0, 1, 4, 5, 2, 3, 6, 7)
                                   : wasm_i8x16_shuffle(xq, xq, 8, 9, 12, 13, 10, 11, 14, 15, 8, 9, 12, 13, 10, 11, 14, 15);
          off = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(xv, eights, off);
          for (int h = 0; h < 2; h++) {
            s[2 * h] = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(xv, wq[G][h][0], s[2 * h]);
            s[2 * h + 1] = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(xv, wq[G][h][1], s[2 * h + 1]);
          }
        }
      }
      const v128_t xd = wasm_f32x4_splat(xb.d);
      for (int p = 0; p < 4; p++) {
        const v128_t si = wasm_i32x4_sub(s[p], off);
        acc[t][p] = wasm_f32x4_add(acc[t][p], wasm_f32x4_mul(wasm_f32x4_convert_i32x4(si), wasm_f32x4_mul(dp[p], xd)));
      }
    }
  }
  for (int t = 0; t < T; t++) {
    for (int p = 0; p < 4; p++) {
      y[t * ys + 2 * p] = wasm_f32x4_extract_lane(acc[t][p], 0) + wasm_f32x4_extract_lane(acc[t][p], 1);
      y[t * ys + 2 * p + 1] = wasm_f32x4_extract_lane(acc[t][p], 2) + wasm_f32x4_extract_lane(acc[t][p], 3);
    }
  }
}
#endif

// Tokens in tiles of 8 (each block's weights decoded once per 8 tokens: ~1.2x the prefill speed of tiles of
// 4 on the Qwen2.5-0.5B shape; 16 gave nothing more), then 4 and the rest.
template <template <int> class Tile>
void gemm_q4_0x8_tiles(const BlockQ4_0x8* w, const BlockQ8A* x, int64_t stride, int64_t nt, int64_t n, float* y,
                       int64_t ys) {
  for (; nt >= 8; nt -= 8, x += 8 * stride, y += 8 * ys) Tile<8>::run(w, x, stride, n, y, ys);
  if (nt >= 4) {
    Tile<4>::run(w, x, stride, n, y, ys);
    nt -= 4, x += 4 * stride, y += 4 * ys;
  }
  if (nt == 3) Tile<3>::run(w, x, stride, n, y, ys);
  if (nt == 2) Tile<2>::run(w, x, stride, n, y, ys);
  if (nt == 1) Tile<1>::run(w, x, stride, n, y, ys);
}
template <int T>
struct PlainTile {
  static void run(const BlockQ4_0x8* w, const BlockQ8A* x, int64_t s, int64_t n, float* y, int64_t ys) {
    gemm_q4_0x8_tile<T>(w, x, s, n, y, ys);
  }
};
#if defined(__wasm_relaxed_simd__)
template <int T>
struct RelaxedTile {
  static void run(const BlockQ4_0x8* w, const BlockQ8A* x, int64_t s, int64_t n, float* y, int64_t ys) {
    gemm_q4_0x8_tile_relaxed<T>(w, x, s, n, y, ys);
  }
};
template <int T>
using FastTile = RelaxedTile<T>;
#else
template <int T>
using FastTile = PlainTile<T>;
#endif

// Q8_0 (BlockQ8_0x8, kernels.h), T tokens against one group of 8 rows. The integer block sums come from a
// Sums policy (one lane per row: s[t][0] rows 0-3, s[t][1] rows 4-7), the float steps are shared, so every
// order gives the same results bit for bit:
// - PairSums (pairs order, SIMD128): for each pair m, the weights are loaded widened (i16x8.load8x8_s: rows
//   0-3, rows 4-7 as i16 pairs) and meet each token's broadcast pair (already i16: one 32-bit splat). The m
//   loop is outside the token loop, so the 2T integer sums and the 2 weight vectors stay in registers.
// - QuadSums (quads_u8 order, relaxed SIMD): one i32x4.relaxed_dot_i8x16_i7x16_add per 16 weight bytes
//   (4 values of 4 rows) against the token's 4 bytes broadcast, the weights biased to 0..255 as the
//   "7-bit" operand: exact only on engines that read it as an unsigned byte (relaxed_dot_u8_exact below),
//   and the sums start at -128 * sum(x) to take the bias off. Each lane's sum is that of the exact products
//   (|sum| < 2^21), i.e. PairSums' integers.
// ds: the blocks' 8 row scales as floats (ds[8b .. 8b + 7]), converted once per call for all token tiles, or
// null: converted here (fewer than 8 tokens: for decode a separate pass over the scales cost 1.5-2.5x).
template <int T>
struct PairSums {
  static void block(const BlockQ8_0x8& wb, const BlockQ8W* x, int64_t stride, int64_t b, v128_t (&s)[T][2]) {
    for (auto& v : s) v[0] = v[1] = wasm_i32x4_splat(0);
    for (int m = 0; m < 16; m++) {
      const v128_t w03 = wasm_i16x8_load8x8(wb.qs + 16 * m), w47 = wasm_i16x8_load8x8(wb.qs + 16 * m + 8);
      for (int t = 0; t < T; t++) {
        const v128_t xv = wasm_v128_load32_splat(x[t * stride + b].qs + 2 * m);
        s[t][0] = wasm_i32x4_add(s[t][0], wasm_i32x4_dot_i16x8(w03, xv));
        s[t][1] = wasm_i32x4_add(s[t][1], wasm_i32x4_dot_i16x8(w47, xv));
      }
    }
  }
};
#if defined(__wasm_relaxed_simd__)
template <int T>
struct QuadSums {
  static void block(const BlockQ8_0x8& wb, const BlockQ8W* x, int64_t stride, int64_t b, v128_t (&s)[T][2]) {
    for (int t = 0; t < T; t++) s[t][0] = s[t][1] = wasm_i32x4_splat(-128 * x[t * stride + b].sum);
    for (int m = 0; m < 8; m++) {
      const v128_t u03 = wasm_v128_load(wb.qs + 32 * m), u47 = wasm_v128_load(wb.qs + 32 * m + 16);
      for (int t = 0; t < T; t++) {
        const v128_t xv = wasm_v128_load32_splat(x[t * stride + b].q + 4 * m);
        s[t][0] = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(xv, u03, s[t][0]);
        s[t][1] = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(xv, u47, s[t][1]);
      }
    }
  }
};
#endif
template <template <int> class Sums, int T>
void gemm_q8_0x8_tile(const BlockQ8_0x8* w, const float* ds, const BlockQ8W* x, int64_t stride, int64_t n, float* y,
                      int64_t ys) {
  v128_t acc[T][2];
  for (auto& a : acc) a[0] = a[1] = wasm_f32x4_splat(0.0f);
  for (int64_t b = 0; b < n / 32; b++) {
    const BlockQ8_0x8& wb = w[b];
    v128_t s[T][2];
    Sums<T>::block(wb, x, stride, b, s);
    const v128_t d03 = ds ? wasm_v128_load(ds + 8 * b) : f16x4_to_f32(wb.d);
    const v128_t d47 = ds ? wasm_v128_load(ds + 8 * b + 4) : f16x4_to_f32(wb.d + 4);
    for (int t = 0; t < T; t++) {
      const v128_t xd = wasm_f32x4_splat(x[t * stride + b].d);
      acc[t][0] = wasm_f32x4_add(acc[t][0], wasm_f32x4_mul(wasm_f32x4_convert_i32x4(s[t][0]), wasm_f32x4_mul(d03, xd)));
      acc[t][1] = wasm_f32x4_add(acc[t][1], wasm_f32x4_mul(wasm_f32x4_convert_i32x4(s[t][1]), wasm_f32x4_mul(d47, xd)));
    }
  }
  for (int t = 0; t < T; t++) {
    wasm_v128_store(y + t * ys, acc[t][0]);
    wasm_v128_store(y + t * ys + 4, acc[t][1]);
  }
}

// Tiles of 4 tokens: 8 left the pairs loop 1.6x slower (its 16 integer sums no longer fit in registers).
// The f16 scales become floats once per call, for up to 256 blocks at a time (8 KiB of stack); a longer row
// goes through in column chunks whose partial sums add up in y.
template <template <int> class Sums>
void gemm_q8_0x8_tiles(const BlockQ8_0x8* w, const BlockQ8W* x, int64_t stride, int64_t nt, int64_t n, float* y,
                       int64_t ys) {
  if (nt < 8) {
    for (; nt >= 4; nt -= 4, x += 4 * stride, y += 4 * ys) gemm_q8_0x8_tile<Sums, 4>(w, nullptr, x, stride, n, y, ys);
    if (nt == 3) gemm_q8_0x8_tile<Sums, 3>(w, nullptr, x, stride, n, y, ys);
    if (nt == 2) gemm_q8_0x8_tile<Sums, 2>(w, nullptr, x, stride, n, y, ys);
    if (nt == 1) gemm_q8_0x8_tile<Sums, 1>(w, nullptr, x, stride, n, y, ys);
    return;
  }
  constexpr int64_t kChunk = 256;
  alignas(16) float ds[8 * kChunk];
  float part[4 * 8];
  for (int64_t b0 = 0; b0 < n / 32; b0 += kChunk) {
    const int64_t nb = std::min(kChunk, n / 32 - b0);
    for (int64_t b = 0; b < nb; b++) {
      wasm_v128_store(ds + 8 * b, f16x4_to_f32(w[b0 + b].d));
      wasm_v128_store(ds + 8 * b + 4, f16x4_to_f32(w[b0 + b].d + 4));
    }
    const BlockQ8_0x8* wc = w + b0;
    const BlockQ8W* xc = x + b0;
    float* yc = y;
    int64_t left = nt;
    // each tile writes its rows of y (the first chunk) or 8-float parts added to them (the others)
    auto tile = [&](auto t_const) {
      constexpr int T = decltype(t_const)::value;
      if (b0 == 0) {
        gemm_q8_0x8_tile<Sums, T>(wc, ds, xc, stride, 32 * nb, yc, ys);
      } else {
        gemm_q8_0x8_tile<Sums, T>(wc, ds, xc, stride, 32 * nb, part, 8);
        for (int t = 0; t < T; t++) {
          for (int r = 0; r < 8; r++) yc[t * ys + r] += part[8 * t + r];
        }
      }
      left -= T, xc += T * stride, yc += T * ys;
    };
    while (left >= 4) tile(std::integral_constant<int, 4>{});
    if (left == 3) tile(std::integral_constant<int, 3>{});
    if (left == 2) tile(std::integral_constant<int, 2>{});
    if (left == 1) tile(std::integral_constant<int, 1>{});
  }
}

#if defined(__wasm_relaxed_simd__)
// Whether this engine's i32x4.relaxed_dot_i8x16_i7x16_add reads its second operand as an unsigned byte and
// sums exactly (x86 VNNI vpdpbusd, as V8 lowers it where the CPU has AVX-VNNI) for operands outside the
// 7-bit range the spec makes exact. Other lowerings fail the probe: pmaddubsw saturates the pair sums
// (255 * 127 * 2 > 32767), signed dots (ARM sdot, VNNI-INT8 vpdpbssd) read 128..255 as negative. The inputs
// come through volatile memory so the compiler cannot fold the dots. Asked once (the first repack).
bool relaxed_dot_u8_exact() {
  static const bool exact = [] {
    static volatile int8_t xs[3][16] = {
        {127, 127, 127, 127, -128, -128, -128, -128, 127, -128, 1, -1, 100, -100, 7, -7},
        {-127, 127, -127, 127, 1, 1, 1, 1, -1, -1, -1, -1, 64, 64, -64, -64},
        {127, 126, -128, -127, 0, 1, 2, 3, -3, -2, -1, 0, 55, -66, 77, -88}};
    static volatile uint8_t us[3][16] = {
        {255, 255, 255, 255, 255, 255, 255, 255, 128, 129, 255, 255, 200, 201, 0, 255},
        {255, 255, 128, 128, 128, 129, 130, 255, 127, 128, 254, 1, 255, 0, 255, 0},
        {255, 254, 253, 252, 0, 128, 255, 127, 255, 255, 255, 255, 250, 131, 129, 240}};
    for (int k = 0; k < 3; k++) {
      int8_t x[16];
      uint8_t u[16];
      for (int i = 0; i < 16; i++) x[i] = xs[k][i], u[i] = us[k][i];
      const int32_t acc[4] = {1000, -1000, 7, 0};
      int32_t got[4];
      wasm_v128_store(got, wasm_i32x4_relaxed_dot_i8x16_i7x16_add(wasm_v128_load(x), wasm_v128_load(u),
                                                                  wasm_v128_load(acc)));
      for (int l = 0; l < 4; l++) {
        int32_t want = acc[l];
        for (int i = 4 * l; i < 4 * l + 4; i++) want += int32_t(x[i]) * int32_t(u[i]);
        if (got[l] != want) return false;
      }
    }
    return true;
  }();
  return exact;
}
#endif

}  // namespace

void widen_q8(const BlockQ8A* x, int64_t nb, BlockQ8W* y) {
  for (int64_t b = 0; b < nb; b++) {
    y[b].d = x[b].d;
    v128_t sum = wasm_i32x4_splat(0);
    for (int i = 0; i < 4; i++) {
      const v128_t w = wasm_i16x8_load8x8(x[b].qs + 8 * i);
      wasm_v128_store(y[b].qs + 8 * i, w);
      sum = wasm_i32x4_add(sum, wasm_i32x4_extadd_pairwise_i16x8(w));
    }
    y[b].sum = hsum_i32(sum);
    wasm_v128_store(y[b].q, wasm_v128_load(x[b].qs));
    wasm_v128_store(y[b].q + 16, wasm_v128_load(x[b].qs + 16));
  }
}

void gemv_q4_0x8(const BlockQ4_0x8* w, const BlockQ8A* x, int64_t n, float* y) { FastTile<1>::run(w, x, 0, n, y, 0); }
void gemm_q4_0x8(const BlockQ4_0x8* w, const BlockQ8A* x, int64_t stride, int64_t nt, int64_t n, float* y,
                 int64_t ys) {
  gemm_q4_0x8_tiles<FastTile>(w, x, stride, nt, n, y, ys);
}
void gemm_q4_0x8_simd128(const BlockQ4_0x8* w, const BlockQ8A* x, int64_t stride, int64_t nt, int64_t n, float* y,
                         int64_t ys) {
  gemm_q4_0x8_tiles<PlainTile>(w, x, stride, nt, n, y, ys);
}
bool kernels_wasm_relaxed() {
#if defined(__wasm_relaxed_simd__)
  return true;
#else
  return false;
#endif
}
bool gemm_q4_0x8_has() { return true; }
Q8x8Order q8_0x8_order() {
#if defined(__wasm_relaxed_simd__)
  if (relaxed_dot_u8_exact()) return Q8x8Order::quads_u8;
#endif
  return Q8x8Order::pairs;
}
void gemm_q8_0x8(const BlockQ8_0x8* w, const BlockQ8W* x, int64_t stride, int64_t nt, int64_t n, float* y,
                 int64_t ys) {
#if defined(__wasm_relaxed_simd__)
  if (relaxed_dot_u8_exact()) return gemm_q8_0x8_tiles<QuadSums>(w, x, stride, nt, n, y, ys);
#endif
  gemm_q8_0x8_tiles<PairSums>(w, x, stride, nt, n, y, ys);
}
void gemm_q8_0x8_simd128(const BlockQ8_0x8* w, const BlockQ8W* x, int64_t stride, int64_t nt, int64_t n, float* y,
                         int64_t ys) {
  gemm_q8_0x8_tiles<PairSums>(w, x, stride, nt, n, y, ys);
}
bool gemm_q8_0x8_has() { return true; }

float dot_f32(const float* w, const float* x, int64_t n) {
  v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_v128_load(w + i), wasm_v128_load(x + i)));
    a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(wasm_v128_load(w + i + 4), wasm_v128_load(x + i + 4)));
  }
  float acc = hsum(wasm_f32x4_add(a0, a1));
  for (; i < n; i++) acc += w[i] * x[i];
  return acc;
}

void dot4_f32(const float* w, const float* x, int64_t stride, int64_t n, float* out) {
  v128_t a[4] = {wasm_f32x4_splat(0.0f), wasm_f32x4_splat(0.0f), wasm_f32x4_splat(0.0f), wasm_f32x4_splat(0.0f)};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t wv = wasm_v128_load(w + i);
    for (int t = 0; t < 4; t++) a[t] = wasm_f32x4_add(a[t], wasm_f32x4_mul(wv, wasm_v128_load(x + t * stride + i)));
  }
  for (int t = 0; t < 4; t++) {
    float acc = hsum(a[t]);
    for (int64_t k = i; k < n; k++) acc += w[k] * x[t * stride + k];
    out[t] = acc;
  }
}

// Two weight rows against 4 tokens: the 4 x vectors of each step serve both rows, 8 accumulators (1.5x two
// dot4_f32 calls). Each (row, token) sums in the order of dot4_f32, so the results are the same.
void dot2x4_f32(const float* w, int64_t ws, const float* x, int64_t stride, int64_t n, float* out) {
  v128_t a[2][4];
  for (auto& r : a)
    for (v128_t& v : r) v = wasm_f32x4_splat(0.0f);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t w0 = wasm_v128_load(w + i), w1 = wasm_v128_load(w + ws + i);
    for (int t = 0; t < 4; t++) {
      const v128_t xv = wasm_v128_load(x + t * stride + i);
      a[0][t] = wasm_f32x4_add(a[0][t], wasm_f32x4_mul(w0, xv));
      a[1][t] = wasm_f32x4_add(a[1][t], wasm_f32x4_mul(w1, xv));
    }
  }
  for (int r = 0; r < 2; r++) {
    for (int t = 0; t < 4; t++) {
      float acc = hsum(a[r][t]);
      for (int64_t k = i; k < n; k++) acc += w[r * ws + k] * x[t * stride + k];
      out[4 * r + t] = acc;
    }
  }
}

void axpy_f32(float a, const float* x, float* y, int64_t n) {
  const v128_t av = wasm_f32x4_splat(a);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    wasm_v128_store(y + i, wasm_f32x4_add(wasm_v128_load(y + i), wasm_f32x4_mul(av, wasm_v128_load(x + i))));
  }
  for (; i < n; i++) y[i] += a * x[i];
}

void attn_scores_f32(const float* q, const void* k, size_t rb, int64_t nj, int64_t hd, float* s) {
  for (int64_t j = 0; j < nj; j++) {
    s[j] = dot_f32(reinterpret_cast<const float*>(static_cast<const uint8_t*>(k) + size_t(j) * rb), q, hd);
  }
}
void attn_accum_f32(const float* p, const void* v, size_t rb, int64_t nj, int64_t hd, float* acc) {
  for (int64_t j = 0; j < nj; j++) {
    axpy_f32(p[j], reinterpret_cast<const float*>(static_cast<const uint8_t*>(v) + size_t(j) * rb), acc, hd);
  }
}

float dot_f16(const uint16_t* w, const float* x, int64_t n) {
  v128_t a = wasm_f32x4_splat(0.0f);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) a = wasm_f32x4_add(a, wasm_f32x4_mul(f16x4_to_f32(w + i), wasm_v128_load(x + i)));
  float acc = hsum(a);
  for (; i < n; i++) acc += fp16_to_f32(w[i]) * x[i];
  return acc;
}

void dot4_f16(const uint16_t* w, const float* x, int64_t stride, int64_t n, float* out) {
  v128_t a[4] = {wasm_f32x4_splat(0.0f), wasm_f32x4_splat(0.0f), wasm_f32x4_splat(0.0f), wasm_f32x4_splat(0.0f)};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t wv = f16x4_to_f32(w + i);
    for (int t = 0; t < 4; t++) a[t] = wasm_f32x4_add(a[t], wasm_f32x4_mul(wv, wasm_v128_load(x + t * stride + i)));
  }
  for (int t = 0; t < 4; t++) {
    float acc = hsum(a[t]);
    for (int64_t k = i; k < n; k++) acc += fp16_to_f32(w[k]) * x[t * stride + k];
    out[t] = acc;
  }
}

// Not the shared 2x4 loop of dot2x4_f32: with the f16 conversion's temporaries its 8 accumulators spill
// (0.94x the speed of two dot4 calls; f32 gains 1.5x).
void dot2x4_f16(const uint16_t* w, int64_t ws, const float* x, int64_t stride, int64_t n, float* out) {
  dot4_f16(w, x, stride, n, out);
  dot4_f16(w + ws, x, stride, n, out + 4);
}

void axpy_f16(float a, const uint16_t* x, float* y, int64_t n) {
  const v128_t av = wasm_f32x4_splat(a);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    wasm_v128_store(y + i, wasm_f32x4_add(wasm_v128_load(y + i), wasm_f32x4_mul(av, f16x4_to_f32(x + i))));
  }
  for (; i < n; i++) y[i] += a * fp16_to_f32(x[i]);
}

void f16_to_f32_row(const uint16_t* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, f16x4_to_f32(x + i));
  for (; i < n; i++) y[i] = fp16_to_f32(x[i]);
}

void attn_scores_f16(const float* q, const void* k, size_t rb, int64_t nj, int64_t hd, float* s) {
  for (int64_t j = 0; j < nj; j++) {
    s[j] = dot_f16(reinterpret_cast<const uint16_t*>(static_cast<const uint8_t*>(k) + size_t(j) * rb), q, hd);
  }
}
void attn_accum_f16(const float* p, const void* v, size_t rb, int64_t nj, int64_t hd, float* acc) {
  for (int64_t j = 0; j < nj; j++) {
    axpy_f16(p[j], reinterpret_cast<const uint16_t*>(static_cast<const uint8_t*>(v) + size_t(j) * rb), acc, hd);
  }
}

// ---- scalar twins (see the file comment)
float dot_q4_k(const void* w, const BlockQ8A* x, int64_t n) { return dot_q4_k_ref(w, x, n); }
float dot_bf16(const uint16_t* w, const float* x, int64_t n) { return dot_bf16_ref(w, x, n); }
void dot4_q4_k(const void* w, const BlockQ8A* x, int64_t s, int64_t n, float* o) { dot4_q4_k_ref(w, x, s, n, o); }
void dot4_bf16(const uint16_t* w, const float* x, int64_t s, int64_t n, float* o) { dot4_bf16_ref(w, x, s, n, o); }
void dot2x4_bf16(const uint16_t* w, int64_t ws, const float* x, int64_t s, int64_t n, float* o) {
  dot2x4_bf16_ref(w, ws, x, s, n, o);
}
void dot8_q8_0(const void* w, const BlockQ8x8* x, int64_t n, float* o) { dot8_q8_0_ref(w, x, n, o); }
void dot8_q4_0(const void* w, const BlockQ8x8* x, int64_t n, float* o) { dot8_q4_0_ref(w, x, n, o); }
void dot8_q4_k(const void* w, const BlockQ8x8* x, int64_t n, float* o) { dot8_q4_k_ref(w, x, n, o); }
bool dot8_has(int) { return false; }
void dot16_q8_0(const void* w, const BlockQ8x16* x, int64_t n, float* o) { dot16_q8_0_ref(w, x, n, o); }
void dot16_q4_0(const void* w, const BlockQ8x16* x, int64_t n, float* o) { dot16_q4_0_ref(w, x, n, o); }
bool dot16_has(int) { return false; }
void gemv_q4_kx8(const BlockQ4_Kx8* w, const BlockQ8A* x, int64_t n, float* y) { gemv_q4_kx8_ref(w, x, n, y); }
void f32_to_f16_row(const float* x, uint16_t* y, int64_t n) { f32_to_f16_row_ref(x, y, n); }
void exp_sub_row(float* x, float m, int64_t n) { exp_sub_row_ref(x, m, n); }
void gelu_erf_row(const float* x, float* y, int64_t n) { gelu_erf_row_ref(x, y, n); }

}  // namespace sotto::cpu

#endif  // SOTTO_KERNELS_WASM
