// kernels-x86-float.cpp — fast float kernels for x86 (contracts in kernels.h): f32/f16/bf16 weight
// dot products (1 row x 1, 4 tokens; 2 rows x 4 tokens), attention chunk kernels, axpy, f16
// conversion and exp. AVX2 + FMA + F16C. Tested against kernels-ref.cpp in tests/test-cpu-kernels.cpp.
#include "backend/cpu/kernels.h"

#if defined(SOTTO_KERNELS_X86)
#include "backend/cpu/simd-x86.h"
#include "core/dtype.h"

namespace sotto::cpu {
using namespace simd;

float dot_f32(const float* w, const float* x, int64_t n) {
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), a0);
    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 8), _mm256_loadu_ps(x + i + 8), a1);
  }
  for (; i + 8 <= n; i += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), a0);
  float s = hsum(_mm256_add_ps(a0, a1));
  for (; i < n; i++) s += w[i] * x[i];
  return s;
}

float dot_f16(const uint16_t* w, const float* x, int64_t n) {
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    a0 = _mm256_fmadd_ps(load_f16x8(w + i), _mm256_loadu_ps(x + i), a0);
    a1 = _mm256_fmadd_ps(load_f16x8(w + i + 8), _mm256_loadu_ps(x + i + 8), a1);
  }
  for (; i + 8 <= n; i += 8) a0 = _mm256_fmadd_ps(load_f16x8(w + i), _mm256_loadu_ps(x + i), a0);
  float s = hsum(_mm256_add_ps(a0, a1));
  for (; i < n; i++) s += h2f(w[i]) * x[i];
  return s;
}

float dot_bf16(const uint16_t* w, const float* x, int64_t n) {
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    a0 = _mm256_fmadd_ps(load_bf16x8(w + i), _mm256_loadu_ps(x + i), a0);
    a1 = _mm256_fmadd_ps(load_bf16x8(w + i + 8), _mm256_loadu_ps(x + i + 8), a1);
  }
  for (; i + 8 <= n; i += 8) a0 = _mm256_fmadd_ps(load_bf16x8(w + i), _mm256_loadu_ps(x + i), a0);
  float s = hsum(_mm256_add_ps(a0, a1));
  for (; i < n; i++) s += bf16_to_f32(w[i]) * x[i];
  return s;
}

namespace {
// Four dot products of one float-convertible weight row; load(p) gives 8 floats.
template <typename T, typename Load, typename Scalar>
void dot4_float(const T* w, const float* x, int64_t stride, int64_t n, float* out, Load load, Scalar scalar) {
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 wv = load(w + i);
    for (int t = 0; t < 4; t++) acc[t] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x + t * stride + i), acc[t]);
  }
  for (int t = 0; t < 4; t++) {
    float s = hsum(acc[t]);
    for (int64_t j = i; j < n; j++) s += scalar(w[j]) * x[t * stride + j];
    out[t] = s;
  }
}
template <typename T, typename Load, typename Scalar>
void dot2x4_float(const T* w, int64_t ws, const float* x, int64_t stride, int64_t n, float* out, Load load,
                  Scalar scalar) {
  __m256 a0[4], a1[4];
  for (int t = 0; t < 4; t++) a0[t] = a1[t] = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 w0 = load(w + i), w1 = load(w + ws + i);
    for (int t = 0; t < 4; t++) {
      const __m256 xv = _mm256_loadu_ps(x + t * stride + i);
      a0[t] = _mm256_fmadd_ps(w0, xv, a0[t]);
      a1[t] = _mm256_fmadd_ps(w1, xv, a1[t]);
    }
  }
  for (int t = 0; t < 4; t++) {
    float s0 = hsum(a0[t]), s1 = hsum(a1[t]);
    for (int64_t j = i; j < n; j++) {
      s0 += scalar(w[j]) * x[t * stride + j];
      s1 += scalar(w[ws + j]) * x[t * stride + j];
    }
    out[t] = s0;
    out[4 + t] = s1;
  }
}
}  // namespace

void dot2x4_f32(const float* w, int64_t ws, const float* x, int64_t stride, int64_t n, float* out) {
  dot2x4_float(w, ws, x, stride, n, out, [](const float* p) { return _mm256_loadu_ps(p); }, [](float v) { return v; });
}
void dot2x4_f16(const uint16_t* w, int64_t ws, const float* x, int64_t stride, int64_t n, float* out) {
  dot2x4_float(w, ws, x, stride, n, out, load_f16x8, h2f);
}
void dot2x4_bf16(const uint16_t* w, int64_t ws, const float* x, int64_t stride, int64_t n, float* out) {
  dot2x4_float(w, ws, x, stride, n, out, load_bf16x8, bf16_to_f32);
}

void dot4_f32(const float* w, const float* x, int64_t stride, int64_t n, float* out) {
  dot4_float(w, x, stride, n, out, [](const float* p) { return _mm256_loadu_ps(p); }, [](float v) { return v; });
}
void dot4_f16(const uint16_t* w, const float* x, int64_t stride, int64_t n, float* out) {
  dot4_float(w, x, stride, n, out, load_f16x8, h2f);
}
void dot4_bf16(const uint16_t* w, const float* x, int64_t stride, int64_t n, float* out) {
  dot4_float(w, x, stride, n, out, load_bf16x8, bf16_to_f32);
}

namespace {
template <typename T>
const T* row_at(const void* base, size_t row_bytes, int64_t j) {
  return reinterpret_cast<const T*>(static_cast<const uint8_t*>(base) + size_t(j) * row_bytes);
}

// Four keys per step, each with its own accumulator; the four sums are reduced together.
template <typename T, typename Load, typename Scalar>
void attn_scores(const float* q, const void* k, size_t rb, int64_t nj, int64_t hd, float* s, Load load,
                 Scalar scalar) {
  const int64_t hd8 = hd / 8 * 8;
  int64_t j = 0;
  for (; j + 4 <= nj; j += 4) {
    const T* k0 = row_at<T>(k, rb, j);
    const T* k1 = row_at<T>(k, rb, j + 1);
    const T* k2 = row_at<T>(k, rb, j + 2);
    const T* k3 = row_at<T>(k, rb, j + 3);
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (int64_t i = 0; i < hd8; i += 8) {
      const __m256 qv = _mm256_loadu_ps(q + i);
      a0 = _mm256_fmadd_ps(load(k0 + i), qv, a0);
      a1 = _mm256_fmadd_ps(load(k1 + i), qv, a1);
      a2 = _mm256_fmadd_ps(load(k2 + i), qv, a2);
      a3 = _mm256_fmadd_ps(load(k3 + i), qv, a3);
    }
    const __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
    __m128 r = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));  // sums of keys 0..3
    if (hd8 < hd) {
      float t[4];
      _mm_storeu_ps(t, r);
      for (int64_t i = hd8; i < hd; i++) {
        t[0] += scalar(k0[i]) * q[i];
        t[1] += scalar(k1[i]) * q[i];
        t[2] += scalar(k2[i]) * q[i];
        t[3] += scalar(k3[i]) * q[i];
      }
      r = _mm_loadu_ps(t);
    }
    _mm_storeu_ps(s + j, r);
  }
  for (; j < nj; j++) {
    const T* kr = row_at<T>(k, rb, j);
    __m256 a = _mm256_setzero_ps();
    for (int64_t i = 0; i < hd8; i += 8) a = _mm256_fmadd_ps(load(kr + i), _mm256_loadu_ps(q + i), a);
    float t = hsum(a);
    for (int64_t i = hd8; i < hd; i++) t += scalar(kr[i]) * q[i];
    s[j] = t;
  }
}

// 32 dims of acc stay in registers while the keys stream by; then the next 32.
template <typename T, typename Load, typename Scalar>
void attn_accum(const float* p, const void* v, size_t rb, int64_t nj, int64_t hd, float* acc, Load load,
                Scalar scalar) {
  int64_t i = 0;
  for (; i + 32 <= hd; i += 32) {
    __m256 a0 = _mm256_loadu_ps(acc + i), a1 = _mm256_loadu_ps(acc + i + 8);
    __m256 a2 = _mm256_loadu_ps(acc + i + 16), a3 = _mm256_loadu_ps(acc + i + 24);
    for (int64_t j = 0; j < nj; j++) {
      const T* vr = row_at<T>(v, rb, j) + i;
      const __m256 pj = _mm256_broadcast_ss(p + j);
      a0 = _mm256_fmadd_ps(pj, load(vr), a0);
      a1 = _mm256_fmadd_ps(pj, load(vr + 8), a1);
      a2 = _mm256_fmadd_ps(pj, load(vr + 16), a2);
      a3 = _mm256_fmadd_ps(pj, load(vr + 24), a3);
    }
    _mm256_storeu_ps(acc + i, a0);
    _mm256_storeu_ps(acc + i + 8, a1);
    _mm256_storeu_ps(acc + i + 16, a2);
    _mm256_storeu_ps(acc + i + 24, a3);
  }
  for (; i + 8 <= hd; i += 8) {
    __m256 a0 = _mm256_loadu_ps(acc + i);
    for (int64_t j = 0; j < nj; j++) a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(p + j), load(row_at<T>(v, rb, j) + i), a0);
    _mm256_storeu_ps(acc + i, a0);
  }
  for (; i < hd; i++) {
    float a = acc[i];
    for (int64_t j = 0; j < nj; j++) a += p[j] * scalar(row_at<T>(v, rb, j)[i]);
    acc[i] = a;
  }
}

inline __m256 load_f32x8(const float* p) { return _mm256_loadu_ps(p); }
inline float same(float v) { return v; }
}  // namespace

void attn_scores_f32(const float* q, const void* k, size_t rb, int64_t nj, int64_t hd, float* s) {
  attn_scores<float>(q, k, rb, nj, hd, s, load_f32x8, same);
}
void attn_scores_f16(const float* q, const void* k, size_t rb, int64_t nj, int64_t hd, float* s) {
  attn_scores<uint16_t>(q, k, rb, nj, hd, s, load_f16x8, h2f);
}
void attn_accum_f32(const float* p, const void* v, size_t rb, int64_t nj, int64_t hd, float* acc) {
  attn_accum<float>(p, v, rb, nj, hd, acc, load_f32x8, same);
}
void attn_accum_f16(const float* p, const void* v, size_t rb, int64_t nj, int64_t hd, float* acc) {
  attn_accum<uint16_t>(p, v, rb, nj, hd, acc, load_f16x8, h2f);
}

void axpy_f32(float a, const float* x, float* y, int64_t n) {
  const __m256 av = _mm256_set1_ps(a);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(av, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  for (; i < n; i++) y[i] += a * x[i];
}

void axpy_f16(float a, const uint16_t* x, float* y, int64_t n) {
  const __m256 av = _mm256_set1_ps(a);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(av, load_f16x8(x + i), _mm256_loadu_ps(y + i)));
  for (; i < n; i++) y[i] += a * h2f(x[i]);
}

void f32_to_f16_row(const float* x, uint16_t* y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i), h);
  }
  for (; i < n; i++) y[i] = f32_to_fp16(x[i]);
}

void f16_to_f32_row(const uint16_t* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, load_f16x8(x + i));
  for (; i < n; i++) y[i] = h2f(x[i]);
}

// exp by range reduction x = k ln2 + r, |r| <= ln2/2, and a degree-6 polynomial for e^r (the classic
// Cephes single-precision coefficients); inputs below -87.33 give 0 (they would be denormal).
static inline __m256 exp8(__m256 v) {
  const __m256 lo = _mm256_set1_ps(-87.33f), hi = _mm256_set1_ps(88.3f);
  const __m256 log2e = _mm256_set1_ps(1.44269504088896341f);
  const __m256 ln2_hi = _mm256_set1_ps(0.693359375f), ln2_lo = _mm256_set1_ps(-2.12194440e-4f);
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 under = _mm256_cmp_ps(v, lo, _CMP_LT_OQ);
  const __m256 c = _mm256_min_ps(_mm256_max_ps(v, lo), hi);
  const __m256 k = _mm256_round_ps(_mm256_mul_ps(c, log2e), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(k, ln2_hi, c);
  r = _mm256_fnmadd_ps(k, ln2_lo, r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, one));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23);
  return _mm256_andnot_ps(under, _mm256_mul_ps(p, _mm256_castsi256_ps(e)));
}

void exp_sub_row(float* x, float m, int64_t n) {
  const __m256 mv = _mm256_set1_ps(m);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), mv)));
  for (; i < n; i++) x[i] = __builtin_expf(x[i] - m);
}

// erf(z) = 1 - (a1 t + ... + a5 t^5) e^(-z^2), t = 1 / (1 + p z), z >= 0 (Abramowitz & Stegun 7.1.26,
// |error| <= 1.5e-7), odd in z; gelu(x) = 0.5 x (1 + erf(x / sqrt 2)).
void gelu_erf_row(const float* x, float* y, int64_t n) {
  const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f), rsqrt2 = _mm256_set1_ps(0.70710678118654752f);
  const __m256 sign = _mm256_set1_ps(-0.0f), p = _mm256_set1_ps(0.3275911f);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    const __m256 z = _mm256_mul_ps(v, rsqrt2);
    const __m256 az = _mm256_andnot_ps(sign, z);
    const __m256 t = _mm256_div_ps(one, _mm256_fmadd_ps(p, az, one));
    __m256 q = _mm256_set1_ps(1.061405429f);
    q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(-1.453152027f));
    q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(1.421413741f));
    q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(-0.284496736f));
    q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(0.254829592f));
    q = _mm256_mul_ps(q, t);
    const __m256 e = exp8(_mm256_xor_ps(_mm256_mul_ps(az, az), sign));  // e^(-z^2)
    const __m256 erf_abs = _mm256_fnmadd_ps(q, e, one);
    const __m256 erf = _mm256_or_ps(erf_abs, _mm256_and_ps(sign, z));  // the sign of z
    _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_mul_ps(half, v), _mm256_add_ps(one, erf)));
  }
  gelu_erf_row_ref(x + i, y + i, n - i);
}

}  // namespace sotto::cpu

#endif  // SOTTO_KERNELS_X86
