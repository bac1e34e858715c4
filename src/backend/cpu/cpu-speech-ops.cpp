// cpu-speech-ops.cpp — the CPU backend's ops for speech models: layer_norm, unary (gelu, tanh, silu),
// group_norm and the im2col half of conv1d (the other half is the ordinary matmul). Plain loops; statistics
// are accumulated in double so long rows and whole-stream group norms keep their precision. Contracts in
// backend/backend.h; shapes are checked by cpu-backend.cpp.
#include <cmath>
#include <cstring>

#include "backend/cpu/cpu-ops.h"

namespace sotto::cpu {
namespace {


}  // namespace

void layer_norm(ThreadPool& pool, const Tensor& x, const Tensor& w, const Tensor& b, float eps, Tensor& y) {
  const int64_t n = x.ne[0];
  const float* px = x.as<const float>();
  const float* pw = w.empty() ? nullptr : w.as<const float>();
  const float* pb = b.empty() ? nullptr : b.as<const float>();
  float* py = y.as<float>();
  for_rows(pool, x.nrows(), n, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = px + r * n;
      float* yr = py + r * n;
      double sum = 0;
      for (int64_t i = 0; i < n; i++) sum += xr[i];
      const double mean = sum / double(n);
      double var = 0;
      for (int64_t i = 0; i < n; i++) var += (xr[i] - mean) * (xr[i] - mean);
      const float inv = float(1.0 / std::sqrt(var / double(n) + double(eps)));
      const float m = float(mean);
      for (int64_t i = 0; i < n; i++) {
        float v = (xr[i] - m) * inv;
        if (pw) v *= pw[i];
        if (pb) v += pb[i];
        yr[i] = v;
      }
    }
  });
}

void unary(ThreadPool& pool, UnaryOp op, const Tensor& x, Tensor& y) {
  const int64_t n = x.nelements();
  const float* px = x.as<const float>();
  float* py = y.as<float>();
  const int64_t block = 4096;
  const int64_t n_blocks = (n + block - 1) / block;
  for_rows(pool, n_blocks, block, [&](int64_t b0, int64_t b1) {
    const int64_t i0 = b0 * block, i1 = std::min(n, b1 * block);
    switch (op) {
      case UnaryOp::Gelu:
        // libm's erf, as the wasm build (kernels-wasm.cpp's gelu_erf_row is this loop): the AVX2 gelu_erf_row
        // (1.1e-7 (1 + |x|) from it) turned a borderline token of the speech model's output, so native and the app
        // disagreed (tests/web/app.test.mjs, speakers); it waits for a wasm twin of the same arithmetic.
        for (int64_t i = i0; i < i1; i++) py[i] = 0.5f * px[i] * (1.0f + std::erf(px[i] * 0.70710678118654752f));
        break;
      case UnaryOp::Tanh:
        for (int64_t i = i0; i < i1; i++) py[i] = std::tanh(px[i]);
        break;
      case UnaryOp::Silu:
        for (int64_t i = i0; i < i1; i++) py[i] = px[i] / (1.0f + std::exp(-px[i]));
        break;
    }
  });
}

void group_norm(ThreadPool& pool, const Tensor& x, int n_groups, const Tensor& w, const Tensor& b, float eps,
                Tensor& y) {
  const int64_t c = x.ne[0], t = x.nrows(), cg = c / n_groups;
  const float* px = x.as<const float>();
  const float* pw = w.empty() ? nullptr : w.as<const float>();
  const float* pb = b.empty() ? nullptr : b.as<const float>();
  float* py = y.as<float>();
  for (int g = 0; g < n_groups; g++) {
    const int64_t c0 = g * cg;
    double sum = 0;
    for (int64_t r = 0; r < t; r++) {
      for (int64_t i = c0; i < c0 + cg; i++) sum += px[r * c + i];
    }
    const double cnt = double(cg) * double(t);
    const double mean = sum / cnt;
    double var = 0;
    for (int64_t r = 0; r < t; r++) {
      for (int64_t i = c0; i < c0 + cg; i++) var += (px[r * c + i] - mean) * (px[r * c + i] - mean);
    }
    const float inv = float(1.0 / std::sqrt(var / cnt + double(eps)));
    const float m = float(mean);
    for_rows(pool, t, cg, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; r++) {
        for (int64_t i = c0; i < c0 + cg; i++) {
          float v = (px[r * c + i] - m) * inv;
          if (pw) v *= pw[i];
          if (pb) v += pb[i];
          py[r * c + i] = v;
        }
      }
    });
  }
}

void im2col(const Tensor& x, int64_t k, int stride, int pad, int64_t t_out, std::vector<float>& col) {
  const int64_t c_in = x.ne[0], t_in = x.nrows(), row = k * c_in;
  if (col.size() < size_t(row * t_out)) col.resize(size_t(row * t_out));
  const float* px = x.as<const float>();
  for (int64_t t = 0; t < t_out; t++) {
    float* dst = col.data() + t * row;
    const int64_t s0 = t * stride - pad;  // first input step of the window
    // A window inside [0, t_in) is contiguous in x: one copy. At the edges, step by step with zeros outside.
    if (s0 >= 0 && s0 + k <= t_in) {
      std::memcpy(dst, px + s0 * c_in, size_t(row) * sizeof(float));
      continue;
    }
    for (int64_t j = 0; j < k; j++) {
      const int64_t src = s0 + j;
      if (src >= 0 && src < t_in) {
        std::memcpy(dst + j * c_in, px + src * c_in, size_t(c_in) * sizeof(float));
      } else {
        std::memset(dst + j * c_in, 0, size_t(c_in) * sizeof(float));
      }
    }
  }
}

}  // namespace sotto::cpu
