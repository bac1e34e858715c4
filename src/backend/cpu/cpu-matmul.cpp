// cpu-matmul.cpp — y = x W^T on the CPU for F32, F16, BF16, Q8_0, Q4_0 and Q4_K weights.
// Quantized weights: the activations are quantized once per call to BlockQ8A and every dot product is
// an integer one (kernels.h). Work is split over output rows in chunks that threads take as they come
// (multiples of 16 rows = one 64-byte line of y per token, so threads never share a line of y). For several
// tokens, tokens are taken in blocks whose activations fit in L2, and each weight row is read once per
// block: quantized weights meet 8 tokens (16 with AVX-512) at a time (interleaved activations, kernels.h
// dot8/dot16), float weights 2 rows x 4 tokens at a time. Weights the backend repacked (8 rows
// interleaved) go through the gemv / gemm kernels of that layout instead (see below).
#include <algorithm>

#include "backend/cpu/cpu-ops.h"
#include "core/error.h"

namespace sotto::cpu {
namespace {

using Dot1 = float (*)(const void* w, const void* x, int64_t n);
using Dot4 = void (*)(const void* w, const void* x, int64_t stride, int64_t n, float* out);
using Dot8 = void (*)(const void* w, const BlockQ8x8* x, int64_t n, float* out);
using Dot16 = void (*)(const void* w, const BlockQ8x16* x, int64_t n, float* out);
using Dot2x4 = void (*)(const void* w, int64_t w_stride, const void* x, int64_t stride, int64_t n, float* out);

struct Kernel {
  Dot1 dot;
  Dot4 dot4;
  bool quantized;
  Dot2x4 dot2x4 = nullptr;  // two weight rows at once (float weights); null: use dot4 per row
  Dot8 dot8 = nullptr;      // 8 interleaved tokens at once (quantized weights, where the build has it)
  Dot16 dot16 = nullptr;    // 16 at once (AVX-512 builds); needs dot8 too
};

const BlockQ8A* q(const void* x) { return static_cast<const BlockQ8A*>(x); }
const float* f(const void* x) { return static_cast<const float*>(x); }
const uint16_t* h(const void* w) { return static_cast<const uint16_t*>(w); }

Kernel kernel_for_base(DType t);

Kernel kernel_for(DType t) {
  Kernel k = kernel_for_base(t);
  if (dot8_has(int(t))) {
    k.dot8 = t == DType::Q8_0 ? dot8_q8_0 : t == DType::Q4_0 ? dot8_q4_0 : dot8_q4_k;
    if (dot16_has(int(t))) k.dot16 = t == DType::Q8_0 ? dot16_q8_0 : dot16_q4_0;
  }
  return k;
}

Kernel kernel_for_base(DType t) {
  switch (t) {
    case DType::Q8_0:
      return {[](const void* w, const void* x, int64_t n) { return dot_q8_0(w, q(x), n); },
              [](const void* w, const void* x, int64_t s, int64_t n, float* o) { dot4_q8_0(w, q(x), s, n, o); }, true};
    case DType::Q4_0:
      return {[](const void* w, const void* x, int64_t n) { return dot_q4_0(w, q(x), n); },
              [](const void* w, const void* x, int64_t s, int64_t n, float* o) { dot4_q4_0(w, q(x), s, n, o); }, true};
    case DType::Q4_K:
      return {[](const void* w, const void* x, int64_t n) { return dot_q4_k(w, q(x), n); },
              [](const void* w, const void* x, int64_t s, int64_t n, float* o) { dot4_q4_k(w, q(x), s, n, o); }, true};
    case DType::F32:
      return {[](const void* w, const void* x, int64_t n) { return dot_f32(f(w), f(x), n); },
              [](const void* w, const void* x, int64_t s, int64_t n, float* o) { dot4_f32(f(w), f(x), s, n, o); },
              false,
              [](const void* w, int64_t ws, const void* x, int64_t s, int64_t n, float* o) {
                dot2x4_f32(f(w), ws, f(x), s, n, o);
              }};
    case DType::F16:
      return {[](const void* w, const void* x, int64_t n) { return dot_f16(h(w), f(x), n); },
              [](const void* w, const void* x, int64_t s, int64_t n, float* o) { dot4_f16(h(w), f(x), s, n, o); },
              false,
              [](const void* w, int64_t ws, const void* x, int64_t s, int64_t n, float* o) {
                dot2x4_f16(h(w), ws, f(x), s, n, o);
              }};
    case DType::BF16:
      return {[](const void* w, const void* x, int64_t n) { return dot_bf16(h(w), f(x), n); },
              [](const void* w, const void* x, int64_t s, int64_t n, float* o) { dot4_bf16(h(w), f(x), s, n, o); },
              false,
              [](const void* w, int64_t ws, const void* x, int64_t s, int64_t n, float* o) {
                dot2x4_bf16(h(w), ws, f(x), s, n, o);
              }};
    default: break;
  }
  fail("matmul: weight type ", dtype_name(t), " is not supported by the cpu backend");
}

struct Job {
  Kernel k;
  const uint8_t* w;
  size_t w_row_bytes;
  const uint8_t* x;       // quantized or float activations, token t at x + t * x_row_bytes
  const BlockQ8x8* x8;    // with dot8: tokens [8G, 8G + 8) interleaved at x8 + G * n_in / 32
  const BlockQ8x16* x16;  // with dot16: tokens [16G, 16G + 16) interleaved at x16 + G * n_in / 32
  size_t x_row_bytes;
  int64_t x_stride;       // token stride in elements of x (blocks or floats)
  int64_t n_in, n_out, n_tok, tok_block;
  float* y;

  void run(int64_t o0, int64_t o1) const {
    for (int64_t t0 = 0; t0 < n_tok; t0 += tok_block) {
      const int64_t t1 = std::min(n_tok, t0 + tok_block);
      int64_t tr = t0;  // tokens [t0, tr) are done for every row of [o0, o1)
      if (k.dot16 && t1 - t0 >= 16) {  // t0 is a multiple of 16 (tok_block is)
        tr = t0 + (t1 - t0) / 16 * 16;
        for (int64_t r0 = o0; r0 < o1; r0 += 4) {
          const int64_t r1 = std::min(o1, r0 + 4);
          for (int64_t t = t0; t < tr; t += 16) {
            const BlockQ8x16* xg = x16 + (t / 16) * (n_in / 32);
            for (int64_t o = r0; o < r1; o++) {
              float out[16];
              k.dot16(w + size_t(o) * w_row_bytes, xg, n_in, out);
              for (int i = 0; i < 16; i++) y[(t + i) * n_out + o] = out[i];
            }
          }
        }
      }
      if (k.dot8 && t1 - tr >= 8) {  // tr is a multiple of 8
        const int64_t t8 = tr;
        tr = t8 + (t1 - t8) / 8 * 8;
        // Rows in tiles of 4: one group of 8 tokens stays in L1 while the tile's rows pass over it.
        for (int64_t r0 = o0; r0 < o1; r0 += 4) {
          const int64_t r1 = std::min(o1, r0 + 4);
          for (int64_t t = t8; t < tr; t += 8) {
            const BlockQ8x8* xg = x8 + (t / 8) * (n_in / 32);
            for (int64_t o = r0; o < r1; o++) {
              float out[8];
              k.dot8(w + size_t(o) * w_row_bytes, xg, n_in, out);
              for (int i = 0; i < 8; i++) y[(t + i) * n_out + o] = out[i];
            }
          }
        }
      }
      int64_t o = o0;
      if (k.dot2x4 && t1 - tr >= 4) {
        for (; o + 2 <= o1; o += 2) {
          const void* wr = w + size_t(o) * w_row_bytes;
          int64_t t = tr;
          for (; t + 4 <= t1; t += 4) {
            float out[8];
            k.dot2x4(wr, n_in, x + size_t(t) * x_row_bytes, x_stride, n_in, out);
            for (int i = 0; i < 4; i++) {
              y[(t + i) * n_out + o] = out[i];
              y[(t + i) * n_out + o + 1] = out[4 + i];
            }
          }
          for (; t < t1; t++) {
            y[t * n_out + o] = k.dot(wr, x + size_t(t) * x_row_bytes, n_in);
            y[t * n_out + o + 1] = k.dot(w + size_t(o + 1) * w_row_bytes, x + size_t(t) * x_row_bytes, n_in);
          }
        }
      }
      for (; o < o1 && tr < t1; o++) {
        const void* wr = w + size_t(o) * w_row_bytes;
        int64_t t = tr;
        for (; t + 4 <= t1; t += 4) {
          float out[4];
          k.dot4(wr, x + size_t(t) * x_row_bytes, x_stride, n_in, out);
          for (int i = 0; i < 4; i++) y[(t + i) * n_out + o] = out[i];
        }
        for (; t < t1; t++) y[t * n_out + o] = k.dot(wr, x + size_t(t) * x_row_bytes, n_in);
      }
    }
  }
};

}  // namespace

void matmul(ThreadPool& pool, std::vector<BlockQ8A>& act, std::vector<BlockQ8x8>& act8,
            std::vector<BlockQ8x16>& act16, std::vector<BlockQ8W>& actw, const Tensor& w, const Tensor& x,
            Tensor& y, const void* repacked) {
  Job job;
  job.x8 = nullptr;
  job.x16 = nullptr;
  job.k = kernel_for(w.type);
  job.n_in = w.ne[0];
  job.n_out = w.nrows();
  job.n_tok = x.nrows();
  job.w = static_cast<const uint8_t*>(w.data);
  job.w_row_bytes = w.row_bytes();
  job.y = y.as<float>();
  if (job.n_tok == 0 || job.n_out == 0) return;
  // Repacked weights (cpu-backend.cpp upload), 8 interleaved rows per kernel call: Q4_0 and Q4_K for 1-3
  // tokens (decode); Q4_0 and Q8_0 for any number of tokens where the build has gemm_q4_0x8 / gemm_q8_0x8
  // (wasm; Q8_0 is repacked only there); gemm_q8_0x8's activations are widened to i16 once here.
  const bool gemm = w.type == DType::Q8_0 || (w.type == DType::Q4_0 && gemm_q4_0x8_has());
  const bool use_repacked = repacked && (job.n_tok < 4 || gemm);
  const bool widen = use_repacked && w.type == DType::Q8_0;
  if (job.k.quantized) {
    const int64_t nb = job.n_in / 32;
    if (act.size() < size_t(nb * job.n_tok)) act.resize(size_t(nb * job.n_tok));
    if (widen && actw.size() < size_t(nb * job.n_tok)) actw.resize(size_t(nb * job.n_tok));
    const int64_t n_groups = job.k.dot8 ? job.n_tok / 8 : 0;
    const int64_t n_groups16 = job.k.dot16 ? job.n_tok / 16 : 0;
    if (act8.size() < size_t(n_groups * nb)) act8.resize(size_t(n_groups * nb));
    if (act16.size() < size_t(n_groups16 * nb)) act16.resize(size_t(n_groups16 * nb));
    // Quantizes tokens [16 g0, 16 g1) (clipped to n_tok) and interleaves the full groups of 8 and 16.
    // And widens them (aw: null when not needed).
    struct Quant {
      const float* x;
      BlockQ8A* a;
      BlockQ8x8* a8;
      BlockQ8x16* a16;
      BlockQ8W* aw;
      int64_t n_in, nb, n_tok, n_groups, n_groups16;
      void run(int64_t g0, int64_t g1) const {
        for (int64_t t = g0 * 16; t < std::min(n_tok, g1 * 16); t++) {
          quantize_act(x + t * n_in, a + t * nb, n_in);
          if (aw) widen_q8(a + t * nb, nb, aw + t * nb);
        }
        for (int64_t g = 2 * g0; g < std::min(2 * g1, n_groups); g++) pack_q8x8(a + g * 8 * nb, nb, nb, a8 + g * nb);
        for (int64_t g = g0; g < std::min(g1, n_groups16); g++) pack_q8x16(a + g * 16 * nb, nb, nb, a16 + g * nb);
      }
    } qj{x.as<const float>(), act.data(), act8.data(), act16.data(), widen ? actw.data() : nullptr,
         job.n_in, nb, job.n_tok, n_groups, n_groups16};
    const int64_t n_chunks = (job.n_tok + 15) / 16;
    if (job.n_tok * job.n_in >= kParallelMin) {
      const Quant* qp = &qj;
      pool.parallel_for(n_chunks, [qp](int64_t g0, int64_t g1, int) { qp->run(g0, g1); });
    } else {
      qj.run(0, n_chunks);
    }
    job.x8 = act8.data();
    job.x16 = act16.data();
    BlockQ8A* a = act.data();
    job.x = reinterpret_cast<const uint8_t*>(a);
    job.x_row_bytes = size_t(nb) * sizeof(BlockQ8A);
    job.x_stride = nb;
  } else {
    job.x = static_cast<const uint8_t*>(x.data);
    job.x_row_bytes = size_t(job.n_in) * sizeof(float);
    job.x_stride = job.n_in;
  }
  // Repacked weights: 2 groups (16 rows, 64 bytes of y) per chunk at least.
  if (use_repacked) {
    const int64_t nb = job.n_in / 32, n_groups = job.n_out / 8;
    const int64_t chunk = std::max<int64_t>(2, n_groups / (8 * pool.size()));
    const BlockQ8A* a = act.data();
    const BlockQ8W* aw = actw.data();
    parallel_dynamic(pool, n_groups, chunk, [&](int64_t g0, int64_t g1, int) {
      for (int64_t g = g0; g < g1; g++) {
        float* y0 = job.y + g * 8;
        if (w.type == DType::Q8_0) {
          gemm_q8_0x8(static_cast<const BlockQ8_0x8*>(repacked) + g * nb, aw, nb, job.n_tok, job.n_in, y0, job.n_out);
        } else if (gemm) {
          gemm_q4_0x8(static_cast<const BlockQ4_0x8*>(repacked) + g * nb, a, nb, job.n_tok, job.n_in, y0, job.n_out);
        } else if (w.type == DType::Q4_K) {
          for (int64_t t = 0; t < job.n_tok; t++) {
            gemv_q4_kx8(static_cast<const BlockQ4_Kx8*>(repacked) + g * (job.n_in / QK_K), a + t * nb, job.n_in,
                        y0 + t * job.n_out);
          }
        } else {
          for (int64_t t = 0; t < job.n_tok; t++) {
            gemv_q4_0x8(static_cast<const BlockQ4_0x8*>(repacked) + g * nb, a + t * nb, job.n_in, y0 + t * job.n_out);
          }
        }
      }
    });
    return;
  }
  // Token block: activations of one block stay within ~256 KiB (L2), a multiple of 16 tokens.
  job.tok_block = std::max<int64_t>(16, int64_t((256 << 10) / std::max<size_t>(1, job.x_row_bytes)) / 16 * 16);
  // About 8 chunks per thread, each a multiple of 16 rows (64 bytes of y per token).
  const int64_t chunk = std::max<int64_t>(16, (job.n_out / (8 * pool.size()) + 15) / 16 * 16);
  parallel_dynamic(pool, job.n_out, chunk, [&job](int64_t o0, int64_t o1, int) { job.run(o0, o1); });
}

}  // namespace sotto::cpu
