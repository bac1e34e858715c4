// kernels-ref.cpp — the plain scalar twins of every CPU kernel (contracts in kernels.h).
// Integer dot products are exact here; the fast versions must agree to float rounding.
#include <cmath>
#include <cstring>
#include <vector>

#include "backend/cpu/kernels.h"
#include "core/dtype.h"
#include "core/quant.h"

namespace sotto::cpu {

void quantize_act_ref(const float* x, BlockQ8A* y, int64_t n) {
  for (int64_t b = 0; b < n / 32; b++, x += 32) {
    float amax = 0.0f;
    for (int i = 0; i < 32; i++) amax = std::fmax(amax, std::fabs(x[i]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 127.0f / amax : 0.0f;
    int sum = 0;
    for (int i = 0; i < 32; i++) {
      const int q = int(std::nearbyint(x[i] * id));
      y[b].qs[i] = int8_t(q);
      sum += q;
    }
    y[b].d = d;
    y[b].s = d * float(sum);
  }
}

float dot_q8_0_ref(const void* w, const BlockQ8A* x, int64_t n) {
  const auto* wb = static_cast<const BlockQ8_0*>(w);
  float acc = 0.0f;
  for (int64_t b = 0; b < n / QK8_0; b++) {
    int isum = 0;
    for (int i = 0; i < 32; i++) isum += int(wb[b].qs[i]) * int(x[b].qs[i]);
    acc += fp16_to_f32(wb[b].d) * x[b].d * float(isum);
  }
  return acc;
}

float dot_q4_0_ref(const void* w, const BlockQ8A* x, int64_t n) {
  const auto* wb = static_cast<const BlockQ4_0*>(w);
  float acc = 0.0f;
  for (int64_t b = 0; b < n / QK4_0; b++) {
    int isum = 0;  // with the unsigned nibbles; the -8 offset is applied through s = d * sum(q)
    for (int i = 0; i < 16; i++) {
      isum += int(wb[b].qs[i] & 0x0f) * int(x[b].qs[i]);
      isum += int(wb[b].qs[i] >> 4) * int(x[b].qs[i + 16]);
    }
    const float dw = fp16_to_f32(wb[b].d);
    acc += dw * (x[b].d * float(isum) - 8.0f * x[b].s);
  }
  return acc;
}

float dot_q4_k_ref(const void* w, const BlockQ8A* x, int64_t n) {
  const auto* wb = static_cast<const BlockQ4_K*>(w);
  float acc = 0.0f;
  for (int64_t b = 0; b < n / QK_K; b++) {
    const float d = fp16_to_f32(wb[b].d), dmin = fp16_to_f32(wb[b].dmin);
    const BlockQ8A* xb = x + b * 8;
    for (int j = 0; j < 8; j++) {
      uint8_t sc, m;
      q4_k_get_scale_min(wb[b].scales, j, &sc, &m);
      const uint8_t* qs = wb[b].qs + 32 * (j / 2);
      const int shift = (j % 2) * 4;
      int isum = 0;
      for (int i = 0; i < 32; i++) isum += int((qs[i] >> shift) & 0x0f) * int(xb[j].qs[i]);
      acc += d * float(sc) * xb[j].d * float(isum) - dmin * float(m) * xb[j].s;
    }
  }
  return acc;
}

float dot_f32_ref(const float* w, const float* x, int64_t n) {
  float acc = 0.0f;
  for (int64_t i = 0; i < n; i++) acc += w[i] * x[i];
  return acc;
}

float dot_f16_ref(const uint16_t* w, const float* x, int64_t n) {
  float acc = 0.0f;
  for (int64_t i = 0; i < n; i++) acc += fp16_to_f32(w[i]) * x[i];
  return acc;
}

float dot_bf16_ref(const uint16_t* w, const float* x, int64_t n) {
  float acc = 0.0f;
  for (int64_t i = 0; i < n; i++) acc += bf16_to_f32(w[i]) * x[i];
  return acc;
}

void dot4_q8_0_ref(const void* w, const BlockQ8A* x, int64_t stride, int64_t n, float* out) {
  for (int t = 0; t < 4; t++) out[t] = dot_q8_0_ref(w, x + t * stride, n);
}
void dot4_q4_0_ref(const void* w, const BlockQ8A* x, int64_t stride, int64_t n, float* out) {
  for (int t = 0; t < 4; t++) out[t] = dot_q4_0_ref(w, x + t * stride, n);
}
void dot4_q4_k_ref(const void* w, const BlockQ8A* x, int64_t stride, int64_t n, float* out) {
  for (int t = 0; t < 4; t++) out[t] = dot_q4_k_ref(w, x + t * stride, n);
}
void dot4_f32_ref(const float* w, const float* x, int64_t stride, int64_t n, float* out) {
  for (int t = 0; t < 4; t++) out[t] = dot_f32_ref(w, x + t * stride, n);
}
void dot4_f16_ref(const uint16_t* w, const float* x, int64_t stride, int64_t n, float* out) {
  for (int t = 0; t < 4; t++) out[t] = dot_f16_ref(w, x + t * stride, n);
}
void dot4_bf16_ref(const uint16_t* w, const float* x, int64_t stride, int64_t n, float* out) {
  for (int t = 0; t < 4; t++) out[t] = dot_bf16_ref(w, x + t * stride, n);
}

void pack_q8x8(const BlockQ8A* x, int64_t stride, int64_t nb, BlockQ8x8* y) {
  for (int64_t b = 0; b < nb; b++) {
    for (int t = 0; t < 8; t++) {
      const BlockQ8A& src = x[t * stride + b];
      y[b].d[t] = src.d;
      y[b].s[t] = src.s;
      for (int g = 0; g < 8; g++)
        for (int i = 0; i < 4; i++) y[b].qs[32 * g + 4 * t + i] = src.qs[4 * g + i];
    }
  }
}

namespace {
// Token t of n / 32 interleaved blocks back as BlockQ8A.
void unpack_token(const BlockQ8x8* x, int64_t nb, int t, BlockQ8A* y) {
  for (int64_t b = 0; b < nb; b++) {
    y[b].d = x[b].d[t];
    y[b].s = x[b].s[t];
    for (int g = 0; g < 8; g++)
      for (int i = 0; i < 4; i++) y[b].qs[4 * g + i] = x[b].qs[32 * g + 4 * t + i];
  }
}
template <typename Dot>
void dot8_via_dot(const void* w, const BlockQ8x8* x, int64_t n, float* out, Dot dot) {
  std::vector<BlockQ8A> tok(size_t(n / 32));
  for (int t = 0; t < 8; t++) {
    unpack_token(x, n / 32, t, tok.data());
    out[t] = dot(w, tok.data(), n);
  }
}
}  // namespace

void dot8_q8_0_ref(const void* w, const BlockQ8x8* x, int64_t n, float* out) { dot8_via_dot(w, x, n, out, dot_q8_0_ref); }
void dot8_q4_0_ref(const void* w, const BlockQ8x8* x, int64_t n, float* out) { dot8_via_dot(w, x, n, out, dot_q4_0_ref); }
void dot8_q4_k_ref(const void* w, const BlockQ8x8* x, int64_t n, float* out) { dot8_via_dot(w, x, n, out, dot_q4_k_ref); }

void pack_q8x16(const BlockQ8A* x, int64_t stride, int64_t nb, BlockQ8x16* y) {
  for (int64_t b = 0; b < nb; b++) {
    for (int t = 0; t < 16; t++) {
      const BlockQ8A& src = x[t * stride + b];
      y[b].d[t] = src.d;
      y[b].s[t] = src.s;
      for (int g = 0; g < 8; g++)
        for (int i = 0; i < 4; i++) y[b].qs[64 * g + 4 * t + i] = src.qs[4 * g + i];
    }
  }
}

namespace {
template <typename Dot>
void dot16_via_dot(const void* w, const BlockQ8x16* x, int64_t n, float* out, Dot dot) {
  std::vector<BlockQ8A> tok(size_t(n / 32));
  for (int t = 0; t < 16; t++) {
    for (int64_t b = 0; b < n / 32; b++) {
      tok[size_t(b)].d = x[b].d[t];
      tok[size_t(b)].s = x[b].s[t];
      for (int g = 0; g < 8; g++)
        for (int i = 0; i < 4; i++) tok[size_t(b)].qs[4 * g + i] = x[b].qs[64 * g + 4 * t + i];
    }
    out[t] = dot(w, tok.data(), n);
  }
}
}  // namespace

void dot16_q8_0_ref(const void* w, const BlockQ8x16* x, int64_t n, float* out) {
  dot16_via_dot(w, x, n, out, dot_q8_0_ref);
}
void dot16_q4_0_ref(const void* w, const BlockQ8x16* x, int64_t n, float* out) {
  dot16_via_dot(w, x, n, out, dot_q4_0_ref);
}

void dot2x4_f32_ref(const float* w, int64_t ws, const float* x, int64_t stride, int64_t n, float* out) {
  for (int r = 0; r < 2; r++) dot4_f32_ref(w + r * ws, x, stride, n, out + 4 * r);
}
void dot2x4_f16_ref(const uint16_t* w, int64_t ws, const float* x, int64_t stride, int64_t n, float* out) {
  for (int r = 0; r < 2; r++) dot4_f16_ref(w + r * ws, x, stride, n, out + 4 * r);
}
void dot2x4_bf16_ref(const uint16_t* w, int64_t ws, const float* x, int64_t stride, int64_t n, float* out) {
  for (int r = 0; r < 2; r++) dot4_bf16_ref(w + r * ws, x, stride, n, out + 4 * r);
}

namespace {
template <typename T>
const T* row_at(const void* base, size_t row_bytes, int64_t j) {
  return reinterpret_cast<const T*>(static_cast<const uint8_t*>(base) + size_t(j) * row_bytes);
}
}  // namespace

void attn_scores_f32_ref(const float* q, const void* k, size_t rb, int64_t nj, int64_t hd, float* s) {
  for (int64_t j = 0; j < nj; j++) s[j] = dot_f32_ref(row_at<float>(k, rb, j), q, hd);
}
void attn_scores_f16_ref(const float* q, const void* k, size_t rb, int64_t nj, int64_t hd, float* s) {
  for (int64_t j = 0; j < nj; j++) s[j] = dot_f16_ref(row_at<uint16_t>(k, rb, j), q, hd);
}
void attn_accum_f32_ref(const float* p, const void* v, size_t rb, int64_t nj, int64_t hd, float* acc) {
  for (int64_t j = 0; j < nj; j++) axpy_f32_ref(p[j], row_at<float>(v, rb, j), acc, hd);
}
void attn_accum_f16_ref(const float* p, const void* v, size_t rb, int64_t nj, int64_t hd, float* acc) {
  for (int64_t j = 0; j < nj; j++) axpy_f16_ref(p[j], row_at<uint16_t>(v, rb, j), acc, hd);
}

void axpy_f32_ref(float a, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] += a * x[i];
}
void axpy_f16_ref(float a, const uint16_t* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] += a * fp16_to_f32(x[i]);
}
void f32_to_f16_row_ref(const float* x, uint16_t* y, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = f32_to_fp16(x[i]);
}
void f16_to_f32_row_ref(const uint16_t* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = fp16_to_f32(x[i]);
}
void exp_sub_row_ref(float* x, float m, int64_t n) {
  for (int64_t i = 0; i < n; i++) x[i] = std::exp(x[i] - m);
}
void gelu_erf_row_ref(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * 0.70710678118654752f));
}

namespace {
// The loop every 8-row repack shares: block column b of rows 8g..8g+7 (file layout, blocks of `Src`) into
// out[g * nb + b]; put(src_block, out_block, r) places row r.
template <typename Src, typename Dst, typename Put>
void repack_x8(const void* w, int64_t n_rows, int64_t n, int64_t block, Dst* out, Put put) {
  const auto* src = static_cast<const Src*>(w);
  const int64_t nb = n / block;
  for (int64_t g = 0; g < n_rows / 8; g++) {
    for (int64_t b = 0; b < nb; b++) {
      for (int r = 0; r < 8; r++) put(src[(g * 8 + r) * nb + b], out[g * nb + b], r);
    }
  }
}
}  // namespace

void repack_q4_0x8(const void* w, int64_t n_rows, int64_t n, BlockQ4_0x8* out) {
  repack_x8<BlockQ4_0>(w, n_rows, n, QK4_0, out, [](const BlockQ4_0& blk, BlockQ4_0x8& o, int r) {
    o.d[r] = blk.d;
    for (int k = 0; k < 4; k++) std::memcpy(o.qs + 32 * k + 4 * r, blk.qs + 4 * k, 4);
  });
}

void gemv_q4_0x8_ref(const BlockQ4_0x8* w, const BlockQ8A* x, int64_t n, float* y) {
  for (int r = 0; r < 8; r++) {
    float acc = 0.0f;
    for (int64_t b = 0; b < n / QK4_0; b++) {
      int32_t sum = 0;
      for (int k = 0; k < 4; k++) {
        for (int j = 0; j < 4; j++) {
          const uint8_t q = w[b].qs[32 * k + 4 * r + j];
          sum += (int32_t(q & 0x0f) - 8) * x[b].qs[4 * k + j];
          sum += (int32_t(q >> 4) - 8) * x[b].qs[16 + 4 * k + j];
        }
      }
      acc += fp16_to_f32(w[b].d[r]) * x[b].d * float(sum);
    }
    y[r] = acc;
  }
}

void widen_q8_ref(const BlockQ8A* x, int64_t nb, BlockQ8W* y) {
  for (int64_t b = 0; b < nb; b++) {
    y[b].d = x[b].d;
    y[b].sum = 0;
    for (int i = 0; i < 32; i++) {
      y[b].qs[i] = x[b].qs[i];
      y[b].q[i] = x[b].qs[i];
      y[b].sum += x[b].qs[i];
    }
  }
}

void gemm_q4_0x8_ref(const BlockQ4_0x8* w, const BlockQ8A* x, int64_t stride, int64_t nt, int64_t n, float* y,
                     int64_t y_stride) {
  for (int64_t t = 0; t < nt; t++) gemv_q4_0x8_ref(w, x + t * stride, n, y + t * y_stride);
}

namespace {
// Where row r's value j of a block sits in each Q8x8Order (kernels.h), and how it is stored there.
int q8x8_index(Q8x8Order order, int r, int j) {
  return order == Q8x8Order::pairs ? 16 * (j / 2) + 2 * r + j % 2 : 32 * (j / 4) + 4 * r + j % 4;
}
int q8x8_load(Q8x8Order order, int8_t v) { return order == Q8x8Order::pairs ? v : int(uint8_t(v)) - 128; }
}  // namespace

// (Loops per order, not q8x8_index per value: the repack runs over every Q8_0 weight at load.)
void repack_q8_0x8(const void* w, int64_t n_rows, int64_t n, BlockQ8_0x8* out, Q8x8Order order) {
  if (order == Q8x8Order::pairs) {
    repack_x8<BlockQ8_0>(w, n_rows, n, QK8_0, out, [](const BlockQ8_0& blk, BlockQ8_0x8& o, int r) {
      o.d[r] = blk.d;
      for (int m = 0; m < 16; m++) std::memcpy(o.qs + 16 * m + 2 * r, blk.qs + 2 * m, 2);
    });
    return;
  }
  repack_x8<BlockQ8_0>(w, n_rows, n, QK8_0, out, [](const BlockQ8_0& blk, BlockQ8_0x8& o, int r) {
    o.d[r] = blk.d;
    for (int m = 0; m < 8; m++) {
      uint32_t v;  // 4 values + 128 each: flipping the sign bits of the bytes
      std::memcpy(&v, blk.qs + 4 * m, 4);
      v ^= 0x80808080u;
      std::memcpy(o.qs + 32 * m + 4 * r, &v, 4);
    }
  });
}

namespace {
// The inverse loop: row `row` of the repacked matrix at w (blocks of `Src`) into n / block `Dst` blocks at
// out; get(src_block, out_block, r) takes row r of one block.
template <typename Dst, typename Src, typename Get>
void unpack_x8(const Src* w, int64_t row, int64_t n, int64_t block, void* out, Get get) {
  const int64_t nb = n / block;
  auto* o = static_cast<Dst*>(out);
  for (int64_t b = 0; b < nb; b++) get(w[row / 8 * nb + b], o[b], int(row % 8));
}
}  // namespace

void unpack_row_q4_0x8(const BlockQ4_0x8* w, int64_t row, int64_t n, void* out) {
  unpack_x8<BlockQ4_0>(w, row, n, QK4_0, out, [](const BlockQ4_0x8& blk, BlockQ4_0& o, int r) {
    o.d = blk.d[r];
    for (int k = 0; k < 4; k++) std::memcpy(o.qs + 4 * k, blk.qs + 32 * k + 4 * r, 4);
  });
}

void unpack_row_q8_0x8(const BlockQ8_0x8* w, int64_t row, int64_t n, void* out, Q8x8Order order) {
  unpack_x8<BlockQ8_0>(w, row, n, QK8_0, out, [order](const BlockQ8_0x8& blk, BlockQ8_0& o, int r) {
    o.d = blk.d[r];
    for (int j = 0; j < 32; j++) o.qs[j] = int8_t(q8x8_load(order, blk.qs[q8x8_index(order, r, j)]));
  });
}

void gemm_q8_0x8_ref(const BlockQ8_0x8* w, const BlockQ8W* x, int64_t stride, int64_t nt, int64_t n, float* y,
                     int64_t y_stride, Q8x8Order order) {
  for (int64_t t = 0; t < nt; t++) {
    const BlockQ8W* xt = x + t * stride;
    for (int r = 0; r < 8; r++) {
      float acc = 0.0f;
      for (int64_t b = 0; b < n / QK8_0; b++) {
        int32_t sum = 0;
        for (int j = 0; j < 32; j++) sum += q8x8_load(order, w[b].qs[q8x8_index(order, r, j)]) * xt[b].qs[j];
        acc += fp16_to_f32(w[b].d[r]) * xt[b].d * float(sum);
      }
      y[t * y_stride + r] = acc;
    }
  }
}

void repack_q4_kx8(const void* w, int64_t n_rows, int64_t n, BlockQ4_Kx8* out) {
  repack_x8<BlockQ4_K>(w, n_rows, n, QK_K, out, [](const BlockQ4_K& blk, BlockQ4_Kx8& o, int r) {
    o.d[r] = blk.d;
    o.dmin[r] = blk.dmin;
    const uint8_t* q = blk.scales;
    for (int j = 0; j < 8; j++) {  // the 6-bit scale and min of sub-block j
      const uint8_t sc = j < 4 ? (q[j] & 63) : uint8_t((q[j + 4] & 0x0f) | ((q[j - 4] >> 6) << 4));
      const uint8_t mn = j < 4 ? (q[j + 4] & 63) : uint8_t((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
      o.sc[8 * j + r] = sc;
      o.m[8 * j + r] = mn;
    }
    for (int c = 0; c < 4; c++) {
      for (int k = 0; k < 8; k++) std::memcpy(o.qs + 256 * c + 32 * k + 4 * r, blk.qs + 32 * c + 4 * k, 4);
    }
  });
}

void gemv_q4_kx8_ref(const BlockQ4_Kx8* w, const BlockQ8A* x, int64_t n, float* y) {
  for (int r = 0; r < 8; r++) {
    float acc = 0.0f;
    for (int64_t b = 0; b < n / QK_K; b++) {
      const float d = fp16_to_f32(w[b].d[r]), dmin = fp16_to_f32(w[b].dmin[r]);
      for (int j = 0; j < 8; j++) {
        const BlockQ8A& xb = x[b * 8 + j];
        const int c = j / 2;
        int32_t sum = 0;
        for (int k = 0; k < 8; k++) {
          for (int t = 0; t < 4; t++) {
            const uint8_t q = w[b].qs[256 * c + 32 * k + 4 * r + t];
            sum += int32_t(j % 2 == 0 ? (q & 0x0f) : (q >> 4)) * xb.qs[4 * k + t];
          }
        }
        acc += d * float(w[b].sc[8 * j + r]) * xb.d * float(sum) - dmin * float(w[b].m[8 * j + r]) * xb.s;
      }
    }
    y[r] = acc;
  }
}

}  // namespace sotto::cpu
