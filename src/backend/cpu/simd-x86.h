// simd-x86.h — small AVX2/FMA/F16C helpers shared by kernels-x86-*.cpp (internal to backend/cpu/).
// Only included when SOTTO_KERNELS_X86 is set (kernels.h).
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace sotto::cpu::simd {

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline float h2f(uint16_t h) { return _cvtsh_ss(h); }

// 32 unsigned bytes (each < 128 here) times 32 signed bytes, summed in groups of 4 -> 8 x int32.
inline __m256i dot_u8i8(__m256i u, __m256i s) {
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
  return _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s);
#else
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
#endif
}
inline __m256i dot_u8i8_acc(__m256i acc, __m256i u, __m256i s) {
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
  return _mm256_dpbusd_epi32(acc, u, s);
#else
  return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)));
#endif
}
// Signed times signed: move the sign of a onto b.
inline __m256i dot_i8i8(__m256i a, __m256i b) { return dot_u8i8(_mm256_sign_epi8(a, a), _mm256_sign_epi8(b, a)); }

inline __m256i load32(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

// Q4_0 block -> 32 unsigned nibbles in value order (low nibbles are values 0..15, high are 16..31).
inline __m256i unpack_q4_0(const uint8_t* qs) {
  const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m256i both = _mm256_set_m128i(_mm_srli_epi16(b, 4), b);
  return _mm256_and_si256(both, _mm256_set1_epi8(0x0f));
}

// The 12 packed bytes as three little-endian words A, B, C: sc0-3 and m0-3 are the low 6 bits of the
// bytes of A and B; sc4-7 = low nibbles of C | (top 2 bits of A's bytes) << 4; m4-7 = high nibbles of
// C | (top 2 bits of B's bytes) << 4.
inline void q4_k_scales(const uint8_t* s, uint8_t* sc, uint8_t* m) {
  uint32_t a, b, c;
  std::memcpy(&a, s, 4);
  std::memcpy(&b, s + 4, 4);
  std::memcpy(&c, s + 8, 4);
  const uint32_t lo6 = 0x3f3f3f3fu, lo4 = 0x0f0f0f0fu, lo2 = 0x03030303u;
  const uint32_t sc03 = a & lo6, m03 = b & lo6;
  const uint32_t sc47 = (c & lo4) | (((a >> 6) & lo2) << 4);
  const uint32_t m47 = ((c >> 4) & lo4) | (((b >> 6) & lo2) << 4);
  std::memcpy(sc, &sc03, 4);
  std::memcpy(sc + 4, &sc47, 4);
  std::memcpy(m, &m03, 4);
  std::memcpy(m + 4, &m47, 4);
}

inline __m256 load_f16x8(const uint16_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
inline __m256 load_bf16x8(const uint16_t* p) {
  const __m256i u = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  return _mm256_castsi256_ps(_mm256_slli_epi32(u, 16));
}

inline uint16_t load_u16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

}  // namespace sotto::cpu::simd
