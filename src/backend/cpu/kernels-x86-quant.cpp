// kernels-x86-quant.cpp — fast quantized-weight kernels for x86 (contracts in kernels.h): activation
// quantization and integer dot products for Q8_0, Q4_0, Q4_K with 1, 4 or 8 tokens. AVX2 maddubs+madd,
// or AVX-512 VNNI's 256-bit vpdpbusd when the build has it. Tested against kernels-ref.cpp in
// tests/test-cpu-kernels.cpp.
#include "backend/cpu/kernels.h"

#if defined(SOTTO_KERNELS_X86)
#include "backend/cpu/simd-x86.h"
#include "core/dtype.h"

#include <cstring>

namespace sotto::cpu {
using namespace simd;

void quantize_act(const float* x, BlockQ8A* y, int64_t n) {
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  const __m256i perm = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  for (int64_t b = 0; b < n / 32; b++, x += 32) {
    const __m256 v0 = _mm256_loadu_ps(x), v1 = _mm256_loadu_ps(x + 8);
    const __m256 v2 = _mm256_loadu_ps(x + 16), v3 = _mm256_loadu_ps(x + 24);
    __m256 mx = _mm256_max_ps(_mm256_max_ps(_mm256_and_ps(v0, abs_mask), _mm256_and_ps(v1, abs_mask)),
                              _mm256_max_ps(_mm256_and_ps(v2, abs_mask), _mm256_and_ps(v3, abs_mask)));
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(mx), _mm256_extractf128_ps(mx, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
    const float amax = _mm_cvtss_f32(m4);
    const float d = amax / 127.0f;
    const __m256 id = _mm256_set1_ps(d != 0.0f ? 127.0f / amax : 0.0f);
    constexpr int rnd = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
    const __m256i i0 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v0, id), rnd));
    const __m256i i1 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v1, id), rnd));
    const __m256i i2 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v2, id), rnd));
    const __m256i i3 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v3, id), rnd));
    const __m256i sum = _mm256_add_epi32(_mm256_add_epi32(i0, i1), _mm256_add_epi32(i2, i3));
    __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
    s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4e));
    s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0xb1));
    const __m256i p16a = _mm256_packs_epi32(i0, i1), p16b = _mm256_packs_epi32(i2, i3);
    const __m256i p8 = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(p16a, p16b), perm);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y[b].qs), p8);
    y[b].d = d;
    y[b].s = d * float(_mm_cvtsi128_si32(s4));
  }
}

float dot_q8_0(const void* w, const BlockQ8A* x, int64_t n) {
  const auto* wb = static_cast<const BlockQ8_0*>(w);
  const int64_t nb = n / QK8_0;
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int64_t b = 0;
  for (; b + 1 < nb; b += 2) {
    const __m256i p0 = dot_i8i8(load32(wb[b].qs), load32(x[b].qs));
    const __m256i p1 = dot_i8i8(load32(wb[b + 1].qs), load32(x[b + 1].qs));
    acc0 = _mm256_fmadd_ps(_mm256_set1_ps(h2f(wb[b].d) * x[b].d), _mm256_cvtepi32_ps(p0), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_set1_ps(h2f(wb[b + 1].d) * x[b + 1].d), _mm256_cvtepi32_ps(p1), acc1);
  }
  for (; b < nb; b++) {
    const __m256i p0 = dot_i8i8(load32(wb[b].qs), load32(x[b].qs));
    acc0 = _mm256_fmadd_ps(_mm256_set1_ps(h2f(wb[b].d) * x[b].d), _mm256_cvtepi32_ps(p0), acc0);
  }
  return hsum(_mm256_add_ps(acc0, acc1));
}

// Two blocks per step with separate accumulators: one chain of dependent FMAs would cap the loop at
// one block per FMA latency.
float dot_q4_0(const void* w, const BlockQ8A* x, int64_t n) {
  const auto* wb = static_cast<const BlockQ4_0*>(w);
  const int64_t nb = n / QK4_0;
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  float corr0 = 0.0f, corr1 = 0.0f;
  int64_t b = 0;
  for (; b + 1 < nb; b += 2) {
    const float dw0 = h2f(wb[b].d), dw1 = h2f(wb[b + 1].d);
    const __m256i p0 = dot_u8i8(unpack_q4_0(wb[b].qs), load32(x[b].qs));
    const __m256i p1 = dot_u8i8(unpack_q4_0(wb[b + 1].qs), load32(x[b + 1].qs));
    acc0 = _mm256_fmadd_ps(_mm256_set1_ps(dw0 * x[b].d), _mm256_cvtepi32_ps(p0), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_set1_ps(dw1 * x[b + 1].d), _mm256_cvtepi32_ps(p1), acc1);
    corr0 += dw0 * x[b].s;
    corr1 += dw1 * x[b + 1].s;
  }
  for (; b < nb; b++) {
    const float dw = h2f(wb[b].d);
    const __m256i p = dot_u8i8(unpack_q4_0(wb[b].qs), load32(x[b].qs));
    acc0 = _mm256_fmadd_ps(_mm256_set1_ps(dw * x[b].d), _mm256_cvtepi32_ps(p), acc0);
    corr0 += dw * x[b].s;
  }
  return hsum(_mm256_add_ps(acc0, acc1)) - 8.0f * (corr0 + corr1);
}

// Four accumulators: sub-block j adds into acc[j % 4], so the 8 FMAs of a block form 4 short chains.
float dot_q4_k(const void* w, const BlockQ8A* x, int64_t n) {
  const auto* wb = static_cast<const BlockQ4_K*>(w);
  const __m256i low4 = _mm256_set1_epi8(0x0f);
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  float corr = 0.0f;
  for (int64_t b = 0; b < n / QK_K; b++) {
    const float d = h2f(wb[b].d), dmin = h2f(wb[b].dmin);
    uint8_t sc[8], m[8];
    q4_k_scales(wb[b].scales, sc, m);
    const BlockQ8A* xb = x + b * 8;
    float msum0 = 0.0f, msum1 = 0.0f;
    for (int c = 0; c < 4; c++) {
      const __m256i q = load32(wb[b].qs + 32 * c);
      const __m256i lo = _mm256_and_si256(q, low4), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), low4);
      const __m256i p0 = dot_u8i8(lo, load32(xb[2 * c].qs));
      const __m256i p1 = dot_u8i8(hi, load32(xb[2 * c + 1].qs));
      __m256& a0 = acc[(2 * c) % 4];
      __m256& a1 = acc[(2 * c + 1) % 4];
      a0 = _mm256_fmadd_ps(_mm256_set1_ps(d * float(sc[2 * c]) * xb[2 * c].d), _mm256_cvtepi32_ps(p0), a0);
      a1 = _mm256_fmadd_ps(_mm256_set1_ps(d * float(sc[2 * c + 1]) * xb[2 * c + 1].d), _mm256_cvtepi32_ps(p1), a1);
      msum0 += float(m[2 * c]) * xb[2 * c].s;
      msum1 += float(m[2 * c + 1]) * xb[2 * c + 1].s;
    }
    corr += dmin * (msum0 + msum1);
  }
  return hsum(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]))) - corr;
}

void dot4_q8_0(const void* w, const BlockQ8A* x, int64_t stride, int64_t n, float* out) {
  const auto* wb = static_cast<const BlockQ8_0*>(w);
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  for (int64_t b = 0; b < n / QK8_0; b++) {
    const __m256i q = load32(wb[b].qs);
    const __m256i aq = _mm256_sign_epi8(q, q);
    const float dw = h2f(wb[b].d);
    for (int t = 0; t < 4; t++) {
      const BlockQ8A& xb = x[t * stride + b];
      const __m256i p = dot_u8i8(aq, _mm256_sign_epi8(load32(xb.qs), q));
      acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(dw * xb.d), _mm256_cvtepi32_ps(p), acc[t]);
    }
  }
  for (int t = 0; t < 4; t++) out[t] = hsum(acc[t]);
}

void dot4_q4_0(const void* w, const BlockQ8A* x, int64_t stride, int64_t n, float* out) {
  const auto* wb = static_cast<const BlockQ4_0*>(w);
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  float corr[4] = {0, 0, 0, 0};
  for (int64_t b = 0; b < n / QK4_0; b++) {
    const __m256i q = unpack_q4_0(wb[b].qs);
    const float dw = h2f(wb[b].d);
    for (int t = 0; t < 4; t++) {
      const BlockQ8A& xb = x[t * stride + b];
      const __m256i p = dot_u8i8(q, load32(xb.qs));
      acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(dw * xb.d), _mm256_cvtepi32_ps(p), acc[t]);
      corr[t] += dw * xb.s;
    }
  }
  for (int t = 0; t < 4; t++) out[t] = hsum(acc[t]) - 8.0f * corr[t];
}

void dot4_q4_k(const void* w, const BlockQ8A* x, int64_t stride, int64_t n, float* out) {
  const auto* wb = static_cast<const BlockQ4_K*>(w);
  const __m256i low4 = _mm256_set1_epi8(0x0f);
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  float corr[4] = {0, 0, 0, 0};
  for (int64_t b = 0; b < n / QK_K; b++) {
    const float d = h2f(wb[b].d), dmin = h2f(wb[b].dmin);
    uint8_t sc[8], m[8];
    q4_k_scales(wb[b].scales, sc, m);
    for (int c = 0; c < 4; c++) {
      const __m256i q = load32(wb[b].qs + 32 * c);
      const __m256i lo = _mm256_and_si256(q, low4), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), low4);
      const float s0 = d * float(sc[2 * c]), s1 = d * float(sc[2 * c + 1]);
      const float m0 = dmin * float(m[2 * c]), m1 = dmin * float(m[2 * c + 1]);
      for (int t = 0; t < 4; t++) {
        const BlockQ8A* xb = x + t * stride + b * 8 + 2 * c;
        const __m256i p0 = dot_u8i8(lo, load32(xb[0].qs));
        const __m256i p1 = dot_u8i8(hi, load32(xb[1].qs));
        acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(s0 * xb[0].d), _mm256_cvtepi32_ps(p0), acc[t]);
        acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(s1 * xb[1].d), _mm256_cvtepi32_ps(p1), acc[t]);
        corr[t] += m0 * xb[0].s + m1 * xb[1].s;
      }
    }
  }
  for (int t = 0; t < 4; t++) out[t] = hsum(acc[t]) - corr[t];
}

namespace {
inline __m256i bcast32(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm256_set1_epi32(v);
}

// Sum over the 8 column groups of one block: lane t += dot(w[4g..4g+3], token t's x[4g..4g+3]).
// group(g) gives the group's 4 weights as unsigned bytes in every lane; it broadcasts straight from
// the weight row (a load, not a shuffle: shuffles would be the bottleneck here).
template <typename Group>
inline __m256i dot8_block(const Group& group, const int8_t* xq) {
  __m256i i0 = _mm256_setzero_si256(), i1 = _mm256_setzero_si256();
  for (int g = 0; g < 8; g += 2) {
    i0 = dot_u8i8_acc(i0, group(g), load32(xq + 32 * g));
    i1 = dot_u8i8_acc(i1, group(g + 1), load32(xq + 32 * g + 32));
  }
  return _mm256_add_epi32(i0, i1);
}
}  // namespace

#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
// Weights shifted to unsigned (w + 128): only exact with vpdpbusd (maddubs would saturate).
void dot8_q8_0(const void* w, const BlockQ8x8* x, int64_t n, float* out) {
  const auto* wb = static_cast<const uint8_t*>(w);
  const __m256i flip = _mm256_set1_epi8(char(0x80));
  const __m256 c128 = _mm256_set1_ps(128.0f);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t b = 0; b < n / QK8_0; b++, wb += sizeof(BlockQ8_0)) {
    const uint8_t* qs = wb + 2;
    const auto group = [qs, flip](int g) { return _mm256_xor_si256(bcast32(qs + 4 * g), flip); };
    const __m256 isum = _mm256_cvtepi32_ps(dot8_block(group, x[b].qs));
    // sum (w + 128) x = sum w x + 128 sum x, and s = d * sum x
    const __m256 v = _mm256_fmsub_ps(_mm256_loadu_ps(x[b].d), isum, _mm256_mul_ps(c128, _mm256_loadu_ps(x[b].s)));
    acc = _mm256_fmadd_ps(_mm256_set1_ps(h2f(load_u16(wb))), v, acc);
  }
  _mm256_storeu_ps(out, acc);
}
#else
void dot8_q8_0(const void* w, const BlockQ8x8* x, int64_t n, float* out) { dot8_q8_0_ref(w, x, n, out); }
#endif

void dot8_q4_0(const void* w, const BlockQ8x8* x, int64_t n, float* out) {
  const auto* wb = static_cast<const uint8_t*>(w);
  const __m256i low4 = _mm256_set1_epi8(0x0f);
  const __m256 c8 = _mm256_set1_ps(8.0f);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t b = 0; b < n / QK4_0; b++, wb += sizeof(BlockQ4_0)) {
    const uint8_t* qs = wb + 2;  // values 0..15: low nibbles, 16..31: high nibbles
    const auto group = [qs, low4](int g) {
      const __m256i v = bcast32(qs + 4 * (g & 3));
      return _mm256_and_si256(g < 4 ? v : _mm256_srli_epi16(v, 4), low4);
    };
    const __m256 isum = _mm256_cvtepi32_ps(dot8_block(group, x[b].qs));
    const __m256 v = _mm256_fmsub_ps(_mm256_loadu_ps(x[b].d), isum, _mm256_mul_ps(c8, _mm256_loadu_ps(x[b].s)));
    acc = _mm256_fmadd_ps(_mm256_set1_ps(h2f(load_u16(wb))), v, acc);
  }
  _mm256_storeu_ps(out, acc);
}

void dot8_q4_k(const void* w, const BlockQ8x8* x, int64_t n, float* out) {
  const auto* wb = static_cast<const BlockQ4_K*>(w);
  const __m256i low4 = _mm256_set1_epi8(0x0f);
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  for (int64_t b = 0; b < n / QK_K; b++) {
    const float d = h2f(wb[b].d), dmin = h2f(wb[b].dmin);
    uint8_t sc[8], m[8];
    q4_k_scales(wb[b].scales, sc, m);
    const BlockQ8x8* xb = x + b * 8;
    for (int j = 0; j < 8; j++) {
      const uint8_t* qs = wb[b].qs + 32 * (j / 2);  // sub-block 2c: low nibbles, 2c + 1: high nibbles
      const bool high = j % 2;
      const auto group = [qs, high, low4](int g) {
        const __m256i v = bcast32(qs + 4 * g);
        return _mm256_and_si256(high ? _mm256_srli_epi16(v, 4) : v, low4);
      };
      const __m256 isum = _mm256_cvtepi32_ps(dot8_block(group, xb[j].qs));
      __m256& a = high ? acc1 : acc0;
      a = _mm256_fmadd_ps(_mm256_set1_ps(d * float(sc[j])), _mm256_mul_ps(_mm256_loadu_ps(xb[j].d), isum), a);
      a = _mm256_fnmadd_ps(_mm256_set1_ps(dmin * float(m[j])), _mm256_loadu_ps(xb[j].s), a);
    }
  }
  _mm256_storeu_ps(out, _mm256_add_ps(acc0, acc1));
}

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__)
namespace {
inline __m512i bcast32x16(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}
template <typename Group>
inline __m512i dot16_block(const Group& group, const int8_t* xq) {
  __m512i i0 = _mm512_setzero_si512(), i1 = _mm512_setzero_si512();
  for (int g = 0; g < 8; g += 2) {
    i0 = _mm512_dpbusd_epi32(i0, group(g), _mm512_loadu_si512(xq + 64 * g));
    i1 = _mm512_dpbusd_epi32(i1, group(g + 1), _mm512_loadu_si512(xq + 64 * g + 64));
  }
  return _mm512_add_epi32(i0, i1);
}
}  // namespace

void dot16_q8_0(const void* w, const BlockQ8x16* x, int64_t n, float* out) {
  const auto* wb = static_cast<const uint8_t*>(w);
  const __m512i flip = _mm512_set1_epi8(char(0x80));
  const __m512 c128 = _mm512_set1_ps(128.0f);
  __m512 acc = _mm512_setzero_ps();
  for (int64_t b = 0; b < n / QK8_0; b++, wb += sizeof(BlockQ8_0)) {
    const uint8_t* qs = wb + 2;
    const auto group = [qs, flip](int g) { return _mm512_xor_si512(bcast32x16(qs + 4 * g), flip); };
    const __m512 isum = _mm512_maskz_cvtepi32_ps(0xffff, dot16_block(group, x[b].qs));
    const __m512 v = _mm512_fmsub_ps(_mm512_loadu_ps(x[b].d), isum, _mm512_mul_ps(c128, _mm512_loadu_ps(x[b].s)));
    acc = _mm512_fmadd_ps(_mm512_set1_ps(h2f(load_u16(wb))), v, acc);
  }
  _mm512_storeu_ps(out, acc);
}

void dot16_q4_0(const void* w, const BlockQ8x16* x, int64_t n, float* out) {
  const auto* wb = static_cast<const uint8_t*>(w);
  const __m512i low4 = _mm512_set1_epi8(0x0f);
  const __m512 c8 = _mm512_set1_ps(8.0f);
  __m512 acc = _mm512_setzero_ps();
  for (int64_t b = 0; b < n / QK4_0; b++, wb += sizeof(BlockQ4_0)) {
    const uint8_t* qs = wb + 2;
    const auto group = [qs, low4](int g) {
      const __m512i v = bcast32x16(qs + 4 * (g & 3));
      return _mm512_and_si512(g < 4 ? v : _mm512_srli_epi16(v, 4), low4);
    };
    const __m512 isum = _mm512_maskz_cvtepi32_ps(0xffff, dot16_block(group, x[b].qs));
    const __m512 v = _mm512_fmsub_ps(_mm512_loadu_ps(x[b].d), isum, _mm512_mul_ps(c8, _mm512_loadu_ps(x[b].s)));
    acc = _mm512_fmadd_ps(_mm512_set1_ps(h2f(load_u16(wb))), v, acc);
  }
  _mm512_storeu_ps(out, acc);
}

bool dot16_has(int dtype_id) { return DType(dtype_id) == DType::Q8_0 || DType(dtype_id) == DType::Q4_0; }
#else
void dot16_q8_0(const void* w, const BlockQ8x16* x, int64_t n, float* out) { dot16_q8_0_ref(w, x, n, out); }
void dot16_q4_0(const void* w, const BlockQ8x16* x, int64_t n, float* out) { dot16_q4_0_ref(w, x, n, out); }
bool dot16_has(int) { return false; }
#endif

// One row per 32-bit lane: for each of the 4 byte groups, the low nibbles meet activation bytes 4k..4k+3
// and the high nibbles bytes 16+4k..16+4k+3 (broadcast to every lane); scales for the 8 rows convert
// in one step. The -8 offset of Q4_0 is folded in at the end through x's block sums (BlockQ8A::s).
void gemv_q4_0x8(const BlockQ4_0x8* w, const BlockQ8A* x, int64_t n, float* y) {
  const __m256i low4 = _mm256_set1_epi8(0x0f);
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps(), corr = _mm256_setzero_ps();
  const int64_t nb = n / QK4_0;
  for (int64_t b = 0; b < nb; b++) {
    const BlockQ4_0x8& q = w[b];
    const auto* xq = reinterpret_cast<const int32_t*>(x[b].qs);
    __m256i p0 = _mm256_setzero_si256(), p1 = _mm256_setzero_si256();
    for (int k = 0; k < 4; k++) {
      const __m256i v = load32(q.qs + 32 * k);
      const __m256i lo = _mm256_and_si256(v, low4), hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low4);
      int32_t xa, xb;
      std::memcpy(&xa, xq + k, 4);
      std::memcpy(&xb, xq + k + 4, 4);
      p0 = dot_u8i8_acc(p0, lo, _mm256_set1_epi32(xa));
      p1 = dot_u8i8_acc(p1, hi, _mm256_set1_epi32(xb));
    }
    const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q.d)));
    const __m256 sc = _mm256_mul_ps(dw, _mm256_set1_ps(x[b].d));
    // Two accumulators alternate so consecutive blocks do not wait on one FMA chain.
    if (b & 1) {
      acc1 = _mm256_fmadd_ps(sc, _mm256_cvtepi32_ps(_mm256_add_epi32(p0, p1)), acc1);
    } else {
      acc0 = _mm256_fmadd_ps(sc, _mm256_cvtepi32_ps(_mm256_add_epi32(p0, p1)), acc0);
    }
    corr = _mm256_fmadd_ps(dw, _mm256_set1_ps(x[b].s), corr);
  }
  _mm256_storeu_ps(y, _mm256_fnmadd_ps(_mm256_set1_ps(8.0f), corr, _mm256_add_ps(acc0, acc1)));
}

// Q4_K, 8 rows per lane set: per 64-value chunk, 8 byte groups give sub-block 2c (low nibbles) and 2c+1
// (high nibbles) products against broadcast activation words; scales and mins of the 8 rows are bytes that
// widen to one float vector each.
void gemv_q4_kx8(const BlockQ4_Kx8* w, const BlockQ8A* x, int64_t n, float* y) {
  const __m256i low4 = _mm256_set1_epi8(0x0f);
  __m256 acc = _mm256_setzero_ps(), corr = _mm256_setzero_ps();
  for (int64_t b = 0; b < n / QK_K; b++) {
    const BlockQ4_Kx8& q = w[b];
    const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q.d)));
    const __m256 dmin = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q.dmin)));
    const BlockQ8A* xb = x + b * 8;
    for (int c = 0; c < 4; c++) {
      __m256i p0 = _mm256_setzero_si256(), p1 = _mm256_setzero_si256();
      const auto* x0 = xb[2 * c].qs;
      const auto* x1 = xb[2 * c + 1].qs;
      for (int k = 0; k < 8; k++) {
        const __m256i v = load32(q.qs + 256 * c + 32 * k);
        const __m256i lo = _mm256_and_si256(v, low4), hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low4);
        int32_t xa, xc;
        std::memcpy(&xa, x0 + 4 * k, 4);
        std::memcpy(&xc, x1 + 4 * k, 4);
        p0 = dot_u8i8_acc(p0, lo, _mm256_set1_epi32(xa));
        p1 = dot_u8i8_acc(p1, hi, _mm256_set1_epi32(xc));
      }
      auto bytes = [&](const uint8_t* p) {
        return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
      };
      const __m256 sc0 = bytes(q.sc + 8 * (2 * c)), sc1 = bytes(q.sc + 8 * (2 * c + 1));
      const __m256 m0 = bytes(q.m + 8 * (2 * c)), m1 = bytes(q.m + 8 * (2 * c + 1));
      acc = _mm256_fmadd_ps(_mm256_mul_ps(d, _mm256_mul_ps(sc0, _mm256_set1_ps(xb[2 * c].d))), _mm256_cvtepi32_ps(p0), acc);
      acc = _mm256_fmadd_ps(_mm256_mul_ps(d, _mm256_mul_ps(sc1, _mm256_set1_ps(xb[2 * c + 1].d))), _mm256_cvtepi32_ps(p1), acc);
      corr = _mm256_fmadd_ps(_mm256_mul_ps(dmin, m0), _mm256_set1_ps(xb[2 * c].s), corr);
      corr = _mm256_fmadd_ps(_mm256_mul_ps(dmin, m1), _mm256_set1_ps(xb[2 * c + 1].s), corr);
    }
  }
  _mm256_storeu_ps(y, _mm256_sub_ps(acc, corr));
}

void widen_q8(const BlockQ8A* x, int64_t nb, BlockQ8W* y) { widen_q8_ref(x, nb, y); }
void gemm_q4_0x8(const BlockQ4_0x8* w, const BlockQ8A* x, int64_t s, int64_t nt, int64_t n, float* y, int64_t ys) {
  gemm_q4_0x8_ref(w, x, s, nt, n, y, ys);  // not used: this build prefills through dot8 (gemm_q4_0x8_has)
}
bool gemm_q4_0x8_has() { return false; }
void gemm_q8_0x8(const BlockQ8_0x8* w, const BlockQ8W* x, int64_t s, int64_t nt, int64_t n, float* y, int64_t ys) {
  gemm_q8_0x8_ref(w, x, s, nt, n, y, ys, Q8x8Order::pairs);  // not used (gemm_q8_0x8_has)
}
bool gemm_q8_0x8_has() { return false; }
Q8x8Order q8_0x8_order() { return Q8x8Order::pairs; }

bool dot8_has(int dtype_id) {
  switch (DType(dtype_id)) {
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
    case DType::Q8_0: return true;
#endif
    case DType::Q4_0:
    case DType::Q4_K: return true;
    default: return false;
  }
}

}  // namespace sotto::cpu

#endif  // SOTTO_KERNELS_X86
