// kernels-scalar.cpp — the fast kernel names for builds with no SIMD path (contracts in kernels.h):
// each forwards to its scalar twin in kernels-ref.cpp. Excluded where kernels.h selects the x86 or the
// wasm SIMD128 (kernels-wasm.cpp) path.
#include "backend/cpu/kernels.h"

#if !defined(SOTTO_KERNELS_X86) && !defined(SOTTO_KERNELS_WASM)

namespace sotto::cpu {
void quantize_act(const float* x, BlockQ8A* y, int64_t n) { quantize_act_ref(x, y, n); }
float dot_q8_0(const void* w, const BlockQ8A* x, int64_t n) { return dot_q8_0_ref(w, x, n); }
float dot_q4_0(const void* w, const BlockQ8A* x, int64_t n) { return dot_q4_0_ref(w, x, n); }
float dot_q4_k(const void* w, const BlockQ8A* x, int64_t n) { return dot_q4_k_ref(w, x, n); }
float dot_f32(const float* w, const float* x, int64_t n) { return dot_f32_ref(w, x, n); }
float dot_f16(const uint16_t* w, const float* x, int64_t n) { return dot_f16_ref(w, x, n); }
float dot_bf16(const uint16_t* w, const float* x, int64_t n) { return dot_bf16_ref(w, x, n); }
void dot4_q8_0(const void* w, const BlockQ8A* x, int64_t s, int64_t n, float* o) { dot4_q8_0_ref(w, x, s, n, o); }
void dot4_q4_0(const void* w, const BlockQ8A* x, int64_t s, int64_t n, float* o) { dot4_q4_0_ref(w, x, s, n, o); }
void dot4_q4_k(const void* w, const BlockQ8A* x, int64_t s, int64_t n, float* o) { dot4_q4_k_ref(w, x, s, n, o); }
void dot4_f32(const float* w, const float* x, int64_t s, int64_t n, float* o) { dot4_f32_ref(w, x, s, n, o); }
void dot4_f16(const uint16_t* w, const float* x, int64_t s, int64_t n, float* o) { dot4_f16_ref(w, x, s, n, o); }
void dot4_bf16(const uint16_t* w, const float* x, int64_t s, int64_t n, float* o) { dot4_bf16_ref(w, x, s, n, o); }
void dot2x4_f32(const float* w, int64_t ws, const float* x, int64_t s, int64_t n, float* o) {
  dot2x4_f32_ref(w, ws, x, s, n, o);
}
void dot2x4_f16(const uint16_t* w, int64_t ws, const float* x, int64_t s, int64_t n, float* o) {
  dot2x4_f16_ref(w, ws, x, s, n, o);
}
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
void gemv_q4_0x8(const BlockQ4_0x8* w, const BlockQ8A* x, int64_t n, float* y) { gemv_q4_0x8_ref(w, x, n, y); }
void gemv_q4_kx8(const BlockQ4_Kx8* w, const BlockQ8A* x, int64_t n, float* y) { gemv_q4_kx8_ref(w, x, n, y); }
void widen_q8(const BlockQ8A* x, int64_t nb, BlockQ8W* y) { widen_q8_ref(x, nb, y); }
void gemm_q4_0x8(const BlockQ4_0x8* w, const BlockQ8A* x, int64_t s, int64_t nt, int64_t n, float* y, int64_t ys) {
  gemm_q4_0x8_ref(w, x, s, nt, n, y, ys);
}
bool gemm_q4_0x8_has() { return false; }
void gemm_q8_0x8(const BlockQ8_0x8* w, const BlockQ8W* x, int64_t s, int64_t nt, int64_t n, float* y, int64_t ys) {
  gemm_q8_0x8_ref(w, x, s, nt, n, y, ys, Q8x8Order::pairs);
}
bool gemm_q8_0x8_has() { return false; }
Q8x8Order q8_0x8_order() { return Q8x8Order::pairs; }
void attn_scores_f32(const float* q, const void* k, size_t rb, int64_t nj, int64_t hd, float* s) {
  attn_scores_f32_ref(q, k, rb, nj, hd, s);
}
void attn_scores_f16(const float* q, const void* k, size_t rb, int64_t nj, int64_t hd, float* s) {
  attn_scores_f16_ref(q, k, rb, nj, hd, s);
}
void attn_accum_f32(const float* p, const void* v, size_t rb, int64_t nj, int64_t hd, float* acc) {
  attn_accum_f32_ref(p, v, rb, nj, hd, acc);
}
void attn_accum_f16(const float* p, const void* v, size_t rb, int64_t nj, int64_t hd, float* acc) {
  attn_accum_f16_ref(p, v, rb, nj, hd, acc);
}
void axpy_f32(float a, const float* x, float* y, int64_t n) { axpy_f32_ref(a, x, y, n); }
void axpy_f16(float a, const uint16_t* x, float* y, int64_t n) { axpy_f16_ref(a, x, y, n); }
void f32_to_f16_row(const float* x, uint16_t* y, int64_t n) { f32_to_f16_row_ref(x, y, n); }
void f16_to_f32_row(const uint16_t* x, float* y, int64_t n) { f16_to_f32_row_ref(x, y, n); }
void exp_sub_row(float* x, float m, int64_t n) { exp_sub_row_ref(x, m, n); }
void gelu_erf_row(const float* x, float* y, int64_t n) { gelu_erf_row_ref(x, y, n); }
}  // namespace sotto::cpu

#endif  // !SOTTO_KERNELS_X86 && !SOTTO_KERNELS_WASM
