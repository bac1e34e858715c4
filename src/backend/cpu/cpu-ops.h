// cpu-ops.h — the CPU backend's op implementations as free functions (internal to backend/cpu/).
// Shapes are checked by the caller (cpu-backend.cpp); these functions trust them. Every function may run
// its loop on `pool`; small inputs run on the calling thread to skip the fork/join.
#pragma once

#include <vector>

#include "backend/backend.h"
#include "backend/cpu/kernels.h"
#include "core/thread-pool.h"

namespace sotto::cpu {

// Below this many elements an elementwise op is not worth a parallel_for.
constexpr int64_t kParallelMin = 1 << 15;

// y = x W^T for every weight dtype. act, act8: grow-only scratch for the quantized activations.
void matmul(ThreadPool& pool, std::vector<BlockQ8A>& act, std::vector<BlockQ8x8>& act8, const Tensor& w,
            const Tensor& x, Tensor& y);

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

}  // namespace sotto::cpu
