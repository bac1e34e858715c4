// cpu-ops.cpp — the CPU backend's row-wise and elementwise ops: add, mul, scale, rms_norm, rope, swiglu,
// geglu, softmax, set_rows, get_rows. Plain loops the compiler vectorizes, plus the exp and conversion
// kernels of kernels.h. Rows are split over the pool only when the op is large (prefill).
#include <algorithm>
#include <cmath>

#include "backend/cpu/cpu-ops.h"
#include "core/error.h"
#include "core/quant.h"

namespace sotto::cpu {
namespace {


template <typename Op>
void binary(ThreadPool& pool, const Tensor& a, const Tensor& b, Tensor& y, Op op) {
  const int64_t n = a.ne[0];
  const bool bcast = b.nelements() != a.nelements();
  const float* pa = a.as<const float>();
  const float* pb = b.as<const float>();
  float* py = y.as<float>();
  for_rows(pool, a.nrows(), n, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* ar = pa + r * n;
      const float* br = bcast ? pb : pb + r * n;
      float* yr = py + r * n;
      for (int64_t i = 0; i < n; i++) yr[i] = op(ar[i], br[i]);
    }
  });
}

}  // namespace

void add(ThreadPool& pool, const Tensor& a, const Tensor& b, Tensor& y) {
  binary(pool, a, b, y, [](float u, float v) { return u + v; });
}

void mul(ThreadPool& pool, const Tensor& a, const Tensor& b, Tensor& y) {
  binary(pool, a, b, y, [](float u, float v) { return u * v; });
}

void scale(ThreadPool& pool, Tensor& x, float s) {
  float* p = x.as<float>();
  const int64_t n = x.ne[0];
  for_rows(pool, x.nrows(), n, [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0 * n; i < r1 * n; i++) p[i] *= s;
  });
}

void rms_norm(ThreadPool& pool, const Tensor& x, const Tensor& w, float eps, Tensor& y) {
  const int64_t n = x.ne[0];
  const float* px = x.as<const float>();
  const float* pw = w.empty() ? nullptr : w.as<const float>();
  float* py = y.as<float>();
  for_rows(pool, x.nrows(), n, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = px + r * n;
      float* yr = py + r * n;
      const float ss = dot_f32(xr, xr, n);
      const float inv = 1.0f / std::sqrt(ss / float(n) + eps);
      if (pw) {
        for (int64_t i = 0; i < n; i++) yr[i] = xr[i] * inv * pw[i];
      } else {
        for (int64_t i = 0; i < n; i++) yr[i] = xr[i] * inv;
      }
    }
  });
}

void rope(ThreadPool& pool, Tensor& x, int pos0, const RopeParams& p) {
  const int64_t hd = x.ne[0], n_head = x.ne[1], n_tok = x.ne[2] * x.ne[3];
  const int half = p.n_rot / 2;
  // inv_freq[i] = freq_scale * base^(-2i/n_rot) / freq_factors[i]; angles in double so that large
  // positions keep their precision.
  double inv_freq[512];
  for (int i = 0; i < half; i++) {
    inv_freq[i] = double(p.freq_scale) * std::pow(double(p.freq_base), -2.0 * i / p.n_rot);
    if (p.freq_factors) inv_freq[i] /= double(p.freq_factors[i]);
  }
  float* px = x.as<float>();
  for_rows(pool, n_tok, hd * n_head, [&](int64_t t0, int64_t t1) {
    float cs[512], sn[512];
    for (int64_t t = t0; t < t1; t++) {
      const double pos = double(pos0 + t);
      for (int i = 0; i < half; i++) {
        const double th = pos * inv_freq[i];
        cs[i] = float(std::cos(th));
        sn[i] = float(std::sin(th));
      }
      for (int64_t h = 0; h < n_head; h++) {
        float* r = px + (t * n_head + h) * hd;
        for (int i = 0; i < half; i++) {
          const int i0 = p.neox ? i : 2 * i, i1 = p.neox ? i + half : 2 * i + 1;
          const float a = r[i0], b = r[i1];
          r[i0] = a * cs[i] - b * sn[i];
          r[i1] = a * sn[i] + b * cs[i];
        }
      }
    }
  });
}

void swiglu(ThreadPool& pool, const Tensor& gate, const Tensor& up, Tensor& y) {
  const float* g = gate.as<const float>();
  const float* u = up.as<const float>();
  float* py = y.as<float>();
  const int64_t n = gate.ne[0];
  for_rows(pool, gate.nrows(), n, [&](int64_t r0, int64_t r1) {
    float e[256];
    for (int64_t i0 = r0 * n; i0 < r1 * n; i0 += 256) {
      const int64_t m = std::min<int64_t>(256, r1 * n - i0);
      for (int64_t i = 0; i < m; i++) e[i] = -g[i0 + i];
      exp_sub_row(e, 0.0f, m);  // e = exp(-g)
      for (int64_t i = 0; i < m; i++) py[i0 + i] = g[i0 + i] / (1.0f + e[i]) * u[i0 + i];
    }
  });
}

void geglu(ThreadPool& pool, const Tensor& gate, const Tensor& up, Tensor& y) {
  const float* g = gate.as<const float>();
  const float* u = up.as<const float>();
  float* py = y.as<float>();
  const int64_t n = gate.ne[0];
  constexpr float c = 0.7978845608028654f;  // sqrt(2 / pi)
  for_rows(pool, gate.nrows(), n, [&](int64_t r0, int64_t r1) {
    float e[256];
    for (int64_t i0 = r0 * n; i0 < r1 * n; i0 += 256) {
      const int64_t m = std::min<int64_t>(256, r1 * n - i0);
      for (int64_t i = 0; i < m; i++) {
        const float x = g[i0 + i];
        e[i] = 2.0f * c * (x + 0.044715f * x * x * x);
      }
      exp_sub_row(e, 0.0f, m);  // e = exp(2z); tanh(z) = 1 - 2 / (e + 1)
      for (int64_t i = 0; i < m; i++) {
        const float x = g[i0 + i];
        const float th = 1.0f - 2.0f / (e[i] + 1.0f);
        py[i0 + i] = 0.5f * x * (1.0f + th) * u[i0 + i];
      }
    }
  });
}

void softmax(ThreadPool& pool, Tensor& x) {
  const int64_t n = x.ne[0];
  float* px = x.as<float>();
  for_rows(pool, x.nrows(), n, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      float* row = px + r * n;
      float m = row[0];
      for (int64_t i = 1; i < n; i++) m = std::max(m, row[i]);
      exp_sub_row(row, m, n);
      float s = 0.0f;
      for (int64_t i = 0; i < n; i++) s += row[i];
      const float is = 1.0f / s;
      for (int64_t i = 0; i < n; i++) row[i] *= is;
    }
  });
}

void set_rows(const Tensor& src, Tensor& dst, int64_t row0) {
  const int64_t n = src.ne[0], rows = src.nrows();
  const float* s = src.as<const float>();
  if (dst.type == DType::F32) {
    std::copy(s, s + n * rows, dst.as<float>() + row0 * n);
  } else {
    uint16_t* d = dst.as<uint16_t>() + row0 * n;
    for (int64_t r = 0; r < rows; r++) f32_to_f16_row(s + r * n, d + r * n, n);
  }
}

void get_rows(const Tensor& table, const int32_t* ids, int n_ids, Tensor& out) {
  const int64_t n = table.ne[0];
  const size_t rb = table.row_bytes();
  const auto* base = static_cast<const uint8_t*>(table.data);
  float* o = out.as<float>();
  for (int i = 0; i < n_ids; i++) dequantize_row(table.type, base + size_t(ids[i]) * rb, o + int64_t(i) * n, n);
}

}  // namespace sotto::cpu
