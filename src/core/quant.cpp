// quant.cpp — see quant.h. Plain scalar code on purpose: this is the reference.
#include "core/quant.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.h"

namespace sotto {
namespace {

void quantize_q8_0(const float* x, BlockQ8_0* y, int64_t nb) {
  for (int64_t b = 0; b < nb; b++, x += QK8_0) {
    float amax = 0.0f;
    for (int i = 0; i < QK8_0; i++) amax = std::max(amax, std::fabs(x[i]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = f32_to_fp16(d);
    for (int i = 0; i < QK8_0; i++) y[b].qs[i] = int8_t(std::lround(x[i] * id));
  }
}

void dequantize_q8_0(const BlockQ8_0* x, float* y, int64_t nb) {
  for (int64_t b = 0; b < nb; b++, y += QK8_0) {
    const float d = fp16_to_f32(x[b].d);
    for (int i = 0; i < QK8_0; i++) y[i] = d * float(x[b].qs[i]);
  }
}

// int(v) clamped to [0, 15]; NaN gives 0 (no out-of-range float-to-int conversion).
inline int trunc_0_15(float v) {
  v = v > 0.0f ? v : 0.0f;
  v = v < 15.0f ? v : 15.0f;
  return int(v);
}

// The value of largest magnitude maps to -8, so the full [-8, 7] range is used on that side.
void quantize_q4_0(const float* x, BlockQ4_0* y, int64_t nb) {
  for (int64_t b = 0; b < nb; b++, x += QK4_0) {
    float amax = 0.0f, vmax = 0.0f;
    for (int i = 0; i < QK4_0; i++) {
      if (std::fabs(x[i]) > amax) {
        amax = std::fabs(x[i]);
        vmax = x[i];
      }
    }
    const float d = vmax / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = f32_to_fp16(d);
    for (int i = 0; i < QK4_0 / 2; i++) {
      const int q0 = trunc_0_15(x[i] * id + 8.5f);
      const int q1 = trunc_0_15(x[i + QK4_0 / 2] * id + 8.5f);
      y[b].qs[i] = uint8_t(q0 | (q1 << 4));
    }
  }
}

void dequantize_q4_0(const BlockQ4_0* x, float* y, int64_t nb) {
  for (int64_t b = 0; b < nb; b++, y += QK4_0) {
    const float d = fp16_to_f32(x[b].d);
    for (int i = 0; i < QK4_0 / 2; i++) {
      y[i] = d * float((x[b].qs[i] & 0x0f) - 8);
      y[i + QK4_0 / 2] = d * float((x[b].qs[i] >> 4) - 8);
    }
  }
}

// round(v) clamped to [0, 15]; NaN gives 0 (no out-of-range float-to-int conversion).
inline int nibble(float v) { return trunc_0_15(v + 0.5f); }

// Fits x ~ scale * q - mn (q in [0, 15], mn >= 0) for one sub-block of 32: start from the range, then a
// few rounds of least squares on the current assignment.
void fit_sub_block(const float* x, float* scale, float* mn) {
  float lo = x[0], hi = x[0];
  for (int i = 1; i < 32; i++) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  lo = std::min(lo, 0.0f);
  float s = (hi - lo) / 15.0f, m = -lo;
  if (s == 0.0f) {
    *scale = 0.0f;
    *mn = m;
    return;
  }
  auto err_of = [&](float sv, float mv) {
    const float inv = 1.0f / sv;
    float e = 0;
    for (int i = 0; i < 32; i++) {
      const float r = sv * float(nibble((x[i] + mv) * inv)) - mv - x[i];
      e += r * r;
    }
    return double(e);
  };
  double best = err_of(s, m);
  for (int iter = 0; iter < 4; iter++) {
    double sq = 0, sq2 = 0, sx = 0, sqx = 0;
    const float inv = 1.0f / s;
    for (int i = 0; i < 32; i++) {
      const int q = nibble((x[i] + m) * inv);
      sq += q;
      sq2 += double(q) * q;
      sx += x[i];
      sqx += double(q) * x[i];
    }
    const double det = 32 * sq2 - sq * sq;
    if (det <= 0) break;
    double ns = (32 * sqx - sq * sx) / det;
    double nm = -(sx - ns * sq) / 32;  // x ~ ns*q - nm
    if (nm < 0) {                      // min must be <= 0: refit scale alone with mn = 0
      nm = 0;
      ns = sq2 > 0 ? sqx / sq2 : 0;
    }
    if (ns <= 0) break;
    const double e = err_of(float(ns), float(nm));
    if (e >= best) break;
    best = e;
    s = float(ns);
    m = float(nm);
  }
  *scale = s;
  *mn = m;
}

// The smallest fp16 >= v (v >= 0, finite).
uint16_t fp16_round_up(float v) {
  uint16_t h = f32_to_fp16(v);
  if (fp16_to_f32(h) < v && h < 0x7bff) h++;
  return h;
}

void quantize_q4_k(const float* x, BlockQ4_K* y, int64_t nb) {
  for (int64_t b = 0; b < nb; b++, x += QK_K) {
    float scales[8], mins[8];
    float max_scale = 0.0f, max_min = 0.0f;
    for (int j = 0; j < 8; j++) {
      fit_sub_block(x + 32 * j, &scales[j], &mins[j]);
      max_scale = std::max(max_scale, scales[j]);
      max_min = std::max(max_min, mins[j]);
    }
    BlockQ4_K& blk = y[b];
    std::memset(&blk, 0, sizeof blk);
    // Round the super-block scales up, so that no 6-bit scale needs to exceed 63 and tiny blocks keep a
    // non-zero scale instead of flushing to 0 in fp16.
    blk.d = fp16_round_up(max_scale / 63.0f);
    blk.dmin = fp16_round_up(max_min / 63.0f);
    const float d = fp16_to_f32(blk.d), dmin = fp16_to_f32(blk.dmin);
    for (int j = 0; j < 8; j++) {
      const int sc = d > 0 ? std::clamp(int(std::lround(scales[j] / d)), 0, 63) : 0;
      const int m = dmin > 0 ? std::clamp(int(std::lround(mins[j] / dmin)), 0, 63) : 0;
      q4_k_set_scale_min(blk.scales, j, uint8_t(sc), uint8_t(m));
      const float ds = d * float(sc), dm = dmin * float(m);
      const float* xs = x + 32 * j;
      const float ids = ds > 0 ? 1.0f / ds : 0.0f;
      // Sub-blocks 2c and 2c+1 share bytes qs[32c .. 32c+31]: low nibble, high nibble.
      uint8_t* qs = blk.qs + 32 * (j / 2);
      const int shift = (j % 2) * 4;
      for (int i = 0; i < 32; i++) {
        const int q = ds > 0 ? nibble((xs[i] + dm) * ids) : 0;
        qs[i] = uint8_t(qs[i] | (q << shift));
      }
    }
  }
}

void dequantize_q4_k(const BlockQ4_K* x, float* y, int64_t nb) {
  for (int64_t b = 0; b < nb; b++, y += QK_K) {
    const float d = fp16_to_f32(x[b].d), dmin = fp16_to_f32(x[b].dmin);
    for (int j = 0; j < 8; j++) {
      uint8_t sc, m;
      q4_k_get_scale_min(x[b].scales, j, &sc, &m);
      const uint8_t* qs = x[b].qs + 32 * (j / 2);
      const int shift = (j % 2) * 4;
      for (int i = 0; i < 32; i++) {
        y[32 * j + i] = d * float(sc) * float((qs[i] >> shift) & 0x0f) - dmin * float(m);
      }
    }
  }
}

int64_t checked_blocks(DType t, int64_t n, const char* what) {
  if (t == DType::I32) fail(what, ": i32 is not a float type");
  if (n < 0) fail(what, ": negative length ", std::to_string(n));
  dtype_row_bytes(t, n);  // throws on a partial block
  return n / dtype_block_size(t);
}

}  // namespace

void q4_k_get_scale_min(const uint8_t* s, int j, uint8_t* sc, uint8_t* m) {
  if (j < 4) {
    *sc = s[j] & 63;
    *m = s[j + 4] & 63;
  } else {
    *sc = uint8_t((s[j + 4] & 0x0f) | ((s[j - 4] >> 6) << 4));
    *m = uint8_t((s[j + 4] >> 4) | ((s[j] >> 6) << 4));
  }
}

void q4_k_set_scale_min(uint8_t* s, int j, uint8_t sc, uint8_t m) {
  if (j < 4) {
    s[j] = uint8_t(s[j] | (sc & 63));
    s[j + 4] = uint8_t(s[j + 4] | (m & 63));
  } else {
    s[j + 4] = uint8_t((sc & 0x0f) | ((m & 0x0f) << 4));
    s[j - 4] = uint8_t(s[j - 4] | ((sc >> 4) << 6));
    s[j] = uint8_t(s[j] | ((m >> 4) << 6));
  }
}

void quantize_row(DType t, const float* x, void* y, int64_t n) {
  const int64_t nb = checked_blocks(t, n, "quantize_row");
  switch (t) {
    case DType::F32:
      if (n > 0) std::memcpy(y, x, size_t(n) * 4);
      return;
    case DType::F16: {
      auto* o = static_cast<uint16_t*>(y);
      for (int64_t i = 0; i < n; i++) o[i] = f32_to_fp16(x[i]);
      return;
    }
    case DType::BF16: {
      auto* o = static_cast<uint16_t*>(y);
      for (int64_t i = 0; i < n; i++) o[i] = f32_to_bf16(x[i]);
      return;
    }
    case DType::Q8_0: quantize_q8_0(x, static_cast<BlockQ8_0*>(y), nb); return;
    case DType::Q4_0: quantize_q4_0(x, static_cast<BlockQ4_0*>(y), nb); return;
    case DType::Q4_K: quantize_q4_k(x, static_cast<BlockQ4_K*>(y), nb); return;
    case DType::I32: break;
  }
  fail("quantize_row: unsupported dtype ", dtype_name(t));
}

void dequantize_row(DType t, const void* x, float* y, int64_t n) {
  const int64_t nb = checked_blocks(t, n, "dequantize_row");
  switch (t) {
    case DType::F32:
      if (n > 0) std::memcpy(y, x, size_t(n) * 4);
      return;
    case DType::F16: {
      const auto* p = static_cast<const uint16_t*>(x);
      for (int64_t i = 0; i < n; i++) y[i] = fp16_to_f32(p[i]);
      return;
    }
    case DType::BF16: {
      const auto* p = static_cast<const uint16_t*>(x);
      for (int64_t i = 0; i < n; i++) y[i] = bf16_to_f32(p[i]);
      return;
    }
    case DType::Q8_0: dequantize_q8_0(static_cast<const BlockQ8_0*>(x), y, nb); return;
    case DType::Q4_0: dequantize_q4_0(static_cast<const BlockQ4_0*>(x), y, nb); return;
    case DType::Q4_K: dequantize_q4_k(static_cast<const BlockQ4_K*>(x), y, nb); return;
    case DType::I32: break;
  }
  fail("dequantize_row: unsupported dtype ", dtype_name(t));
}

std::vector<uint8_t> quantize_tensor(DType t, const float* x, int64_t n_rows, int64_t n_cols) {
  if (n_rows < 0) fail("quantize_tensor: negative row count ", std::to_string(n_rows));
  checked_blocks(t, n_cols, "quantize_tensor");
  const size_t rb = dtype_row_bytes(t, n_cols);
  std::vector<uint8_t> out(rb * size_t(n_rows));
  for (int64_t r = 0; r < n_rows; r++) quantize_row(t, x + r * n_cols, out.data() + size_t(r) * rb, n_cols);
  return out;
}

}  // namespace sotto
