// cpu-ops.h — the CPU backend's op implementations as free functions (internal to backend/cpu/).
// Shapes are checked by the caller (cpu-backend.cpp); these functions trust them. Every function may run
// its loop on `pool`; small inputs run on the calling thread to skip the fork/join.
#pragma once

#include <algorithm>
#include <atomic>
#include <vector>

#include "backend/backend.h"
#include "backend/cpu/kernels.h"
#include "core/thread-pool.h"

namespace sotto::cpu {

// Below this many elements an elementwise op is not worth a parallel_for.
constexpr int64_t kParallelMin = 1 << 15;

// Runs fn(r0, r1) over rows [0, n_rows), on the pool when the op has at least kParallelMin elements.
template <typename Fn>
void for_rows(ThreadPool& pool, int64_t n_rows, int64_t row_len, const Fn& fn) {
  if (n_rows * row_len < kParallelMin || n_rows < 2) {
    fn(int64_t(0), n_rows);
    return;
  }
  const Fn* f = &fn;
  pool.parallel_for(n_rows, [f](int64_t r0, int64_t r1, int) { (*f)(r0, r1); });
}

// Runs fn(begin, end, thread) over [0, n) in chunks of `chunk` that the pool's threads take from a
// shared counter, so a thread that starts late (another process holds its core) gets less work instead
// of holding up the others. Chunk boundaries are multiples of `chunk`.
template <typename Fn>
void parallel_dynamic(ThreadPool& pool, int64_t n, int64_t chunk, const Fn& fn) {
  if (n <= 0) return;
  chunk = std::max<int64_t>(1, chunk);
  if (pool.size() == 1 || n <= chunk) {
    fn(int64_t(0), n, 0);
    return;
  }
  struct Shared {
    std::atomic<int64_t> next{0};
    int64_t n, chunk;
    const Fn* fn;
  } sh;
  sh.n = n;
  sh.chunk = chunk;
  sh.fn = &fn;
  Shared* sp = &sh;
  const int64_t parts = std::min<int64_t>(pool.size(), (n + chunk - 1) / chunk);
  pool.parallel_for(parts, [sp](int64_t, int64_t, int thread) {
    for (;;) {
      const int64_t b = sp->next.fetch_add(sp->chunk, std::memory_order_relaxed);
      if (b >= sp->n) break;
      (*sp->fn)(b, std::min(sp->n, b + sp->chunk), thread);
    }
  });
}

// y = x W^T for every weight dtype. act, act8, act16, actw: grow-only scratch for the quantized activations
// (actw: widened to i16 for gemm_q8_0x8). repacked: the weight in 8-row interleaved blocks
// (BlockQ4_0x8 for Q4_0, BlockQ8_0x8 for Q8_0, BlockQ4_Kx8 for Q4_K) or null; used when there are fewer than
// 4 tokens, and for any number where the build has gemm_q4_0x8 / gemm_q8_0x8.
void matmul(ThreadPool& pool, std::vector<BlockQ8A>& act, std::vector<BlockQ8x8>& act8,
            std::vector<BlockQ8x16>& act16, std::vector<BlockQ8W>& actw, const Tensor& w, const Tensor& x,
            Tensor& y, const void* repacked = nullptr);

// Attention scratch per thread: query copies and accumulators (kAttnMaxAcc floats each: query heads of
// a task * head_dim) and one converted f16 chunk of K and of V (kAttnBufFloats each).
constexpr int64_t kAttnMaxAcc = 8192;
constexpr int64_t kAttnBufFloats = 4096;
constexpr int64_t kAttnScratchFloats = 2 * kAttnMaxAcc + 2 * kAttnBufFloats;
// scratch: grow-only, kAttnScratchFloats per pool thread.
void attention(ThreadPool& pool, std::vector<float>& scratch, const Tensor& q, const Tensor& k, const Tensor& v,
               int n_head_kv, int n_past, const AttnParams& p, Tensor& out);

void add(ThreadPool& pool, const Tensor& a, const Tensor& b, Tensor& y);
void mul(ThreadPool& pool, const Tensor& a, const Tensor& b, Tensor& y);
void scale(ThreadPool& pool, Tensor& x, float s);
void rms_norm(ThreadPool& pool, const Tensor& x, const Tensor& w, float eps, Tensor& y);
void rope(ThreadPool& pool, Tensor& x, int pos0, const RopeParams& p);
void swiglu(ThreadPool& pool, const Tensor& gate, const Tensor& up, Tensor& y);
void geglu(ThreadPool& pool, const Tensor& gate, const Tensor& up, Tensor& y);
void softmax(ThreadPool& pool, Tensor& x);
void set_rows(const Tensor& src, Tensor& dst, int64_t row0);
void get_rows(const Tensor& table, const int32_t* ids, int n_ids, Tensor& out);

// Speech-model ops (cpu-speech-ops.cpp).
void layer_norm(ThreadPool& pool, const Tensor& x, const Tensor& w, const Tensor& b, float eps, Tensor& y);
void unary(ThreadPool& pool, UnaryOp op, const Tensor& x, Tensor& y);
void group_norm(ThreadPool& pool, const Tensor& x, int n_groups, const Tensor& w, const Tensor& b, float eps,
                Tensor& y);
// Unfolds x {C_in, T_in} into col (grow-only) as t_out rows of k * C_in: row t = padded x rows
// [t * stride, t * stride + k), zeros outside [0, T_in).
void im2col(const Tensor& x, int64_t k, int stride, int pad, int64_t t_out, std::vector<float>& col);

}  // namespace sotto::cpu
