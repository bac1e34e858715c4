// kernels.h — the CPU backend's inner loops, each in two versions with the same contract:
//   *_ref  plain scalar C++ (kernels-ref.cpp), the twin every fast version is tested against;
//   plain name: the fast version (kernels-x86-quant.cpp and kernels-x86-float.cpp: AVX2/FMA/F16C, with
//               AVX-512 VNNI where the build has it; a wasm SIMD128 file can sit beside them; with
//               neither, kernels-scalar.cpp forwards the fast names to *_ref).
// Does not: threading, shapes, allocation (see cpu-backend.cpp and cpu-ops.cpp).
//
// Quantized matmul works on 8-bit activation blocks: each row of activations is quantized once per
// matmul to BlockQ8A (32 values, float scale, plus d * sum(q) for the zero-point terms of Q4_0/Q4_K),
// and the weight-row dot products are integer dot products with one float multiply per 32 values.
#pragma once

#include <cstddef>
#include <cstdint>

// Which fast path this build compiles. (A wasm SIMD128 path adds its own macro here, and
// kernels-scalar.cpp excludes it too.)
#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#define SOTTO_KERNELS_X86 1
#elif defined(__wasm_simd128__)
#define SOTTO_KERNELS_WASM 1  // kernels-wasm.cpp
#endif

namespace sotto::cpu {

struct BlockQ8A {
  float d;        // scale: x ~ d * qs
  float s;        // d * sum(qs)
  int8_t qs[32];
};
static_assert(sizeof(BlockQ8A) == 40);

// 8 tokens' BlockQ8A for the same 32 columns, interleaved so that SIMD lane t holds token t:
// qs[32 * g + 4 * t + i] = token t's value 4g + i (g = 0..7, i = 0..3); d[t], s[t] as in BlockQ8A.
// One weight row against 8 tokens then costs one 32-bit broadcast and one integer dot instruction
// per 4 columns (prefill).
struct BlockQ8x8 {
  float d[8];
  float s[8];
  int8_t qs[256];
};
static_assert(sizeof(BlockQ8x8) == 320);

// The same for 16 tokens (AVX-512: one 512-bit lane set): qs[64 * g + 4 * t + i], t = 0..15.
struct BlockQ8x16 {
  float d[16];
  float s[16];
  int8_t qs[512];
};
static_assert(sizeof(BlockQ8x16) == 640);

// ---- activations: n a multiple of 32; q = round_half_even(x / d), d = max|x| / 127.
void quantize_act_ref(const float* x, BlockQ8A* y, int64_t n);
void quantize_act(const float* x, BlockQ8A* y, int64_t n);

// ---- one weight row . one activation row. n = row length in values (a multiple of the block size).
float dot_q8_0_ref(const void* w, const BlockQ8A* x, int64_t n);
float dot_q4_0_ref(const void* w, const BlockQ8A* x, int64_t n);
float dot_q4_k_ref(const void* w, const BlockQ8A* x, int64_t n);
float dot_f32_ref(const float* w, const float* x, int64_t n);
float dot_f16_ref(const uint16_t* w, const float* x, int64_t n);
float dot_bf16_ref(const uint16_t* w, const float* x, int64_t n);

float dot_q8_0(const void* w, const BlockQ8A* x, int64_t n);
float dot_q4_0(const void* w, const BlockQ8A* x, int64_t n);
float dot_q4_k(const void* w, const BlockQ8A* x, int64_t n);
float dot_f32(const float* w, const float* x, int64_t n);
float dot_f16(const uint16_t* w, const float* x, int64_t n);
float dot_bf16(const uint16_t* w, const float* x, int64_t n);

// ---- one weight row . 4 activation rows (x, x + stride, ...; stride in elements / blocks): out[0..3].
// Reads the weight row once for 4 tokens (prefill).
void dot4_q8_0_ref(const void* w, const BlockQ8A* x, int64_t stride, int64_t n, float* out);
void dot4_q4_0_ref(const void* w, const BlockQ8A* x, int64_t stride, int64_t n, float* out);
void dot4_q4_k_ref(const void* w, const BlockQ8A* x, int64_t stride, int64_t n, float* out);
void dot4_f32_ref(const float* w, const float* x, int64_t stride, int64_t n, float* out);
void dot4_f16_ref(const uint16_t* w, const float* x, int64_t stride, int64_t n, float* out);
void dot4_bf16_ref(const uint16_t* w, const float* x, int64_t stride, int64_t n, float* out);

void dot4_q8_0(const void* w, const BlockQ8A* x, int64_t stride, int64_t n, float* out);
void dot4_q4_0(const void* w, const BlockQ8A* x, int64_t stride, int64_t n, float* out);
void dot4_q4_k(const void* w, const BlockQ8A* x, int64_t stride, int64_t n, float* out);
void dot4_f32(const float* w, const float* x, int64_t stride, int64_t n, float* out);
void dot4_f16(const uint16_t* w, const float* x, int64_t stride, int64_t n, float* out);
void dot4_bf16(const uint16_t* w, const float* x, int64_t stride, int64_t n, float* out);

// ---- one weight row . 8 interleaved tokens (x: n / 32 BlockQ8x8): out[0..7]. dot8_has(t) says
// whether the build has a fast version for weight type t; the matmul uses dot4 when it does not.
void pack_q8x8(const BlockQ8A* x, int64_t stride, int64_t nb, BlockQ8x8* y);  // token t at x + t * stride
void dot8_q8_0_ref(const void* w, const BlockQ8x8* x, int64_t n, float* out);
void dot8_q4_0_ref(const void* w, const BlockQ8x8* x, int64_t n, float* out);
void dot8_q4_k_ref(const void* w, const BlockQ8x8* x, int64_t n, float* out);
void dot8_q8_0(const void* w, const BlockQ8x8* x, int64_t n, float* out);
void dot8_q4_0(const void* w, const BlockQ8x8* x, int64_t n, float* out);
void dot8_q4_k(const void* w, const BlockQ8x8* x, int64_t n, float* out);
bool dot8_has(int dtype_id);
// 16 interleaved tokens (x: n / 32 BlockQ8x16): out[0..15]; only where dot16_has (AVX-512 VNNI builds).
void pack_q8x16(const BlockQ8A* x, int64_t stride, int64_t nb, BlockQ8x16* y);
void dot16_q8_0_ref(const void* w, const BlockQ8x16* x, int64_t n, float* out);
void dot16_q4_0_ref(const void* w, const BlockQ8x16* x, int64_t n, float* out);
void dot16_q8_0(const void* w, const BlockQ8x16* x, int64_t n, float* out);
void dot16_q4_0(const void* w, const BlockQ8x16* x, int64_t n, float* out);
bool dot16_has(int dtype_id);

// ---- BlockQ8A with its values widened to int16: the activations of gemm_q8_0x8 below (SIMD128 has no 8-bit
// dot; its i32x4.dot_i16x8 wants i16 on both sides, so the matmul widens each token once instead of each
// kernel call widening it again for every 8 rows). The bytes and their integer sum ride along for the
// relaxed-SIMD kernel of the quads order (its dot takes i8; sum: the -128 of the biased weights, below).
// widen_q8: nb blocks, x -> y.
struct BlockQ8W {
  float d;
  int32_t sum;     // sum(q)
  int16_t qs[32];  // q widened
  int8_t q[32];    // q as in BlockQ8A
};
static_assert(sizeof(BlockQ8W) == 104);
void widen_q8_ref(const BlockQ8A* x, int64_t nb, BlockQ8W* y);
void widen_q8(const BlockQ8A* x, int64_t nb, BlockQ8W* y);

// ---- Q4_0 weights repacked for decode: 8 rows interleaved per block, so one vector lane holds one row
// and a single-token matvec needs no per-row reduction or scalar scale work. Block g, b holds rows
// 8g..8g+7 of block column b: d[r] = row r's scale; qs[32k + 4r + j] = row r's qs[4k + j] (k, j < 4), so
// the low nibbles of the 32 bytes at 32k are values 4k..4k+3 of each row and the high nibbles values
// 16+4k..16+4k+3.
struct BlockQ4_0x8 {
  uint16_t d[8];
  uint8_t qs[128];
};
static_assert(sizeof(BlockQ4_0x8) == 144);
// w: n_rows (a multiple of 8) Q4_0 rows of n values -> n_rows / 8 * (n / 32) blocks, group-major.
void repack_q4_0x8(const void* w, int64_t n_rows, int64_t n, BlockQ4_0x8* out);
// y[0..7] = the 8 rows of one group (n / 32 blocks at w) times one activation row x.
void gemv_q4_0x8_ref(const BlockQ4_0x8* w, const BlockQ8A* x, int64_t n, float* y);
void gemv_q4_0x8(const BlockQ4_0x8* w, const BlockQ8A* x, int64_t n, float* y);
// nt activation rows (token t at x + t * stride) against one group: y[t * y_stride + r], r < 8. Builds whose
// gemm_q4_0x8_has() is true (wasm: each block's weights are decoded once for up to 8 tokens) prefill Q4_0
// through it; the others prefill on the file layout (dot8 / dot16 / dot4) and never call it.
void gemm_q4_0x8_ref(const BlockQ4_0x8* w, const BlockQ8A* x, int64_t stride, int64_t nt, int64_t n, float* y,
                     int64_t y_stride);
void gemm_q4_0x8(const BlockQ4_0x8* w, const BlockQ8A* x, int64_t stride, int64_t nt, int64_t n, float* y,
                 int64_t y_stride);
bool gemm_q4_0x8_has();
#if defined(SOTTO_KERNELS_WASM)
// wasm: the SIMD128 tiles of gemm_q4_0x8 also in the relaxed-SIMD build (sotto-relaxed.wasm, whose
// gemm_q4_0x8 / gemv_q4_0x8 use relaxed dots and must agree with these bit for bit: kernel-check), and
// whether this object was compiled with relaxed SIMD.
void gemm_q4_0x8_simd128(const BlockQ4_0x8* w, const BlockQ8A* x, int64_t stride, int64_t nt, int64_t n, float* y,
                         int64_t y_stride);
bool kernels_wasm_relaxed();
#endif

// ---- Q8_0 weights repacked 8 rows at a time, for builds whose gemm_q8_0x8_has() is true (wasm; the others
// keep the file layout and never call these): block g, b holds rows 8g..8g+7 of block column b, d[r] = row
// r's scale, and the 256 bytes in one of two orders (Q8x8Order; gemm_q8_0x8 reads q8_0x8_order()'s):
// - pairs: qs[16m + 2r + i] = row r's qs[2m + i] (m < 16, i < 2): each 16 bytes hold one pair of values of
//   all 8 rows, so sign-extending its halves gives rows 0-3 and 4-7 as i16 pairs (SIMD128 i32x4.dot_i16x8
//   against a broadcast pair of x then sums one row per lane);
// - quads_u8: qs[32m + 4r + i] = row r's qs[4m + i] + 128 as a byte (m < 8, i < 4): 16 bytes hold 4 values of
//   4 rows, one relaxed i32x4 dot lane each; the bias makes them 0..255 for engines whose relaxed dot reads
//   that operand as an unsigned byte exactly (x86 VNNI), and the kernel subtracts 128 * sum(x).
// gemm_q8_0x8: nt widened activation rows (token t at x + t * stride) against one group, y[t * y_stride + r].
enum class Q8x8Order { pairs, quads_u8 };
Q8x8Order q8_0x8_order();  // pairs except in relaxed-SIMD wasm builds on such an engine (kernels-wasm.cpp)
struct BlockQ8_0x8 {
  uint16_t d[8];
  int8_t qs[256];
};
static_assert(sizeof(BlockQ8_0x8) == 272);
void repack_q8_0x8(const void* w, int64_t n_rows, int64_t n, BlockQ8_0x8* out, Q8x8Order order);
void gemm_q8_0x8_ref(const BlockQ8_0x8* w, const BlockQ8W* x, int64_t stride, int64_t nt, int64_t n, float* y,
                     int64_t y_stride, Q8x8Order order);
void gemm_q8_0x8(const BlockQ8_0x8* w, const BlockQ8W* x, int64_t stride, int64_t nt, int64_t n, float* y,
                 int64_t y_stride);
bool gemm_q8_0x8_has();
#if defined(SOTTO_KERNELS_WASM)
// wasm: the SIMD128 kernel of the pairs order in every wasm build (the relaxed build's quads kernel must agree
// with it bit for bit: kernel-check).
void gemm_q8_0x8_simd128(const BlockQ8_0x8* w, const BlockQ8W* x, int64_t stride, int64_t nt, int64_t n, float* y,
                         int64_t y_stride);
#endif
// Row `row` of a repacked matrix (blocks from the start of the matrix, n values a row) back in the file
// layout (n / 32 BlockQ4_0 / BlockQ8_0 at out): get_rows on a matrix repacked in place.
void unpack_row_q4_0x8(const BlockQ4_0x8* w, int64_t row, int64_t n, void* out);
void unpack_row_q8_0x8(const BlockQ8_0x8* w, int64_t row, int64_t n, void* out, Q8x8Order order);

// ---- Q4_K weights repacked like Q4_0: 8 rows per 256-value super-block. d, dmin per row; the 6-bit
// scales and mins unpacked to bytes, sc[8 * j + r] for sub-block j of row r; qs[256 c + 32 k + 4 r + t] =
// row r's qs[32 c + 4 k + t] (c < 4 chunks of 64 values, k < 8, t < 4): low nibbles are sub-block 2c,
// high nibbles sub-block 2c + 1.
struct BlockQ4_Kx8 {
  uint16_t d[8];
  uint16_t dmin[8];
  uint8_t sc[64];
  uint8_t m[64];
  uint8_t qs[1024];
};
static_assert(sizeof(BlockQ4_Kx8) == 1184);
void repack_q4_kx8(const void* w, int64_t n_rows, int64_t n, BlockQ4_Kx8* out);
void gemv_q4_kx8_ref(const BlockQ4_Kx8* w, const BlockQ8A* x, int64_t n, float* y);
void gemv_q4_kx8(const BlockQ4_Kx8* w, const BlockQ8A* x, int64_t n, float* y);

// ---- two weight rows (w, w + w_stride elements) . 4 activation rows: out[r * 4 + t]. Float weights
// only: 8 independent FMA chains hide the FMA latency that limits dot4 (prefill).
void dot2x4_f32_ref(const float* w, int64_t w_stride, const float* x, int64_t stride, int64_t n, float* out);
void dot2x4_f16_ref(const uint16_t* w, int64_t w_stride, const float* x, int64_t stride, int64_t n, float* out);
void dot2x4_bf16_ref(const uint16_t* w, int64_t w_stride, const float* x, int64_t stride, int64_t n, float* out);
void dot2x4_f32(const float* w, int64_t w_stride, const float* x, int64_t stride, int64_t n, float* out);
void dot2x4_f16(const uint16_t* w, int64_t w_stride, const float* x, int64_t stride, int64_t n, float* out);
void dot2x4_bf16(const uint16_t* w, int64_t w_stride, const float* x, int64_t stride, int64_t n, float* out);

// ---- attention over a chunk of nj cache rows (row j at k + j * row_bytes; f16 or f32 elements):
// scores s[j] = q . k_j;  accumulate acc[0..hd) += sum_j p[j] * v_j.
void attn_scores_f32_ref(const float* q, const void* k, size_t row_bytes, int64_t nj, int64_t hd, float* s);
void attn_scores_f16_ref(const float* q, const void* k, size_t row_bytes, int64_t nj, int64_t hd, float* s);
void attn_accum_f32_ref(const float* p, const void* v, size_t row_bytes, int64_t nj, int64_t hd, float* acc);
void attn_accum_f16_ref(const float* p, const void* v, size_t row_bytes, int64_t nj, int64_t hd, float* acc);
void attn_scores_f32(const float* q, const void* k, size_t row_bytes, int64_t nj, int64_t hd, float* s);
void attn_scores_f16(const float* q, const void* k, size_t row_bytes, int64_t nj, int64_t hd, float* s);
void attn_accum_f32(const float* p, const void* v, size_t row_bytes, int64_t nj, int64_t hd, float* acc);
void attn_accum_f16(const float* p, const void* v, size_t row_bytes, int64_t nj, int64_t hd, float* acc);

// ---- float vectors (attention, norms, KV-cache conversion)
void axpy_f32_ref(float a, const float* x, float* y, int64_t n);      // y += a * x
void axpy_f16_ref(float a, const uint16_t* x, float* y, int64_t n);   // y += a * f16(x)
void f32_to_f16_row_ref(const float* x, uint16_t* y, int64_t n);     // round to nearest even
void f16_to_f32_row_ref(const uint16_t* x, float* y, int64_t n);
void exp_sub_row_ref(float* x, float m, int64_t n);  // x = exp(x - m) (the fast one: rel. err < 2e-7)
// y = 0.5 x (1 + erf(x / sqrt 2)), exact GELU (the fast one: |err| < 2e-7 (1 + |x|)). y may be x.
void gelu_erf_row_ref(const float* x, float* y, int64_t n);

void axpy_f32(float a, const float* x, float* y, int64_t n);
void axpy_f16(float a, const uint16_t* x, float* y, int64_t n);
void f32_to_f16_row(const float* x, uint16_t* y, int64_t n);
void f16_to_f32_row(const uint16_t* x, float* y, int64_t n);
void exp_sub_row(float* x, float m, int64_t n);
void gelu_erf_row(const float* x, float* y, int64_t n);

}  // namespace sotto::cpu
