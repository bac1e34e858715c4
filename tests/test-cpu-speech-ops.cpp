// test-cpu-speech-ops.cpp — the CPU backend's speech-model ops (layer_norm, unary, group_norm, conv1d, non-causal
// attention) against plain double-precision twins written here from the contracts in backend/backend.h, over
// sweeps of sizes, strides, paddings and thread counts. Tolerance: max |diff| <= 1e-5 * (1 + max |ref|) for f32
// (f32 arithmetic against double); conv1d with f16 weights is compared with the twin on the same rounded weights.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "backend/backend.h"
#include "core/error.h"
#include "core/quant.h"
#include "core/thread-pool.h"

using namespace sotto;

namespace {

std::vector<float> randv(size_t n, uint32_t seed, float s = 1.0f, float off = 0.0f) {
  std::mt19937 g(seed);
  std::normal_distribution<float> d(off, s);
  std::vector<float> v(n);
  for (float& x : v) x = d(g);
  return v;
}

Tensor make(Backend& be, const std::vector<float>& v, Shape ne) {
  Tensor t = be.alloc(DType::F32, ne);
  be.write(t, v.data(), v.size() * sizeof(float));
  return t;
}

std::vector<float> get(Backend& be, const Tensor& t) {
  std::vector<float> v(size_t(t.nelements()));
  be.read(t, v.data(), v.size() * sizeof(float));
  return v;
}

void expect_close(const std::vector<float>& got, const std::vector<double>& want, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  double mx = 0, err = 0;
  for (size_t i = 0; i < got.size(); i++) {
    mx = std::max(mx, std::fabs(want[i]));
    err = std::max(err, std::fabs(double(got[i]) - want[i]));
  }
  EXPECT_LE(err, 1e-5 * (1 + mx)) << what;
}

TEST(SpeechOps, LayerNorm) {
  for (int threads : {1, 2}) {
    ThreadPool pool(threads);
    auto be = make_cpu_backend(pool);
    for (int64_t n : {1, 7, 48, 288, 1000}) {
      for (int64_t rows : {1, 3, 130}) {
        for (int variant = 0; variant < 3; variant++) {  // w and b; w only; neither
          auto x = randv(size_t(n * rows), uint32_t(n + rows), 2.0f, 3.0f);
          auto w = randv(size_t(n), 7), b = randv(size_t(n), 8);
          Tensor tx = make(*be, x, {n, rows, 1, 1}), ty = be->alloc(DType::F32, {n, rows, 1, 1});
          Tensor tw = variant < 2 ? make(*be, w, {n, 1, 1, 1}) : Tensor{};
          Tensor tb = variant < 1 ? make(*be, b, {n, 1, 1, 1}) : Tensor{};
          be->layer_norm(tx, tw, tb, 1e-5f, ty);
          std::vector<double> want(x.size());
          for (int64_t r = 0; r < rows; r++) {
            double m = 0, v = 0;
            for (int64_t i = 0; i < n; i++) m += x[size_t(r * n + i)];
            m /= double(n);
            for (int64_t i = 0; i < n; i++) v += (x[size_t(r * n + i)] - m) * (x[size_t(r * n + i)] - m);
            v /= double(n);
            for (int64_t i = 0; i < n; i++) {
              double y = (x[size_t(r * n + i)] - m) / std::sqrt(v + 1e-5);
              if (variant < 2) y *= w[size_t(i)];
              if (variant < 1) y += b[size_t(i)];
              want[size_t(r * n + i)] = y;
            }
          }
          expect_close(get(*be, ty), want, "layer_norm n=" + std::to_string(n) + " rows=" + std::to_string(rows));
          be->layer_norm(tx, tw, tb, 1e-5f, tx);  // in place
          expect_close(get(*be, tx), want, "layer_norm in place");
        }
      }
    }
  }
}

TEST(SpeechOps, Unary) {
  ThreadPool pool(2);
  auto be = make_cpu_backend(pool);
  for (int64_t n : {1, 5, 4096, 70001}) {
    auto x = randv(size_t(n), uint32_t(n), 3.0f);
    for (UnaryOp op : {UnaryOp::Gelu, UnaryOp::Tanh, UnaryOp::Silu}) {
      Tensor tx = make(*be, x, {n, 1, 1, 1}), ty = be->alloc(DType::F32, {n, 1, 1, 1});
      be->unary(op, tx, ty);
      std::vector<double> want(x.size());
      for (size_t i = 0; i < x.size(); i++) {
        const double v = x[i];
        want[i] = op == UnaryOp::Gelu ? 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)))
                  : op == UnaryOp::Tanh ? std::tanh(v)
                                        : v / (1 + std::exp(-v));
      }
      expect_close(get(*be, ty), want, "unary " + std::to_string(int(op)) + " n=" + std::to_string(n));
    }
  }
}

TEST(SpeechOps, GroupNorm) {
  for (int threads : {1, 2}) {
    ThreadPool pool(threads);
    auto be = make_cpu_backend(pool);
    for (int64_t c : {4, 48, 288}) {
      for (int64_t t : {1, 9, 300}) {
        for (int groups : {1, 2, 4}) {
          auto x = randv(size_t(c * t), uint32_t(c * 31 + t), 1.5f, -0.5f);
          auto w = randv(size_t(c), 3), b = randv(size_t(c), 4);
          Tensor tx = make(*be, x, {c, t, 1, 1}), ty = be->alloc(DType::F32, {c, t, 1, 1});
          be->group_norm(tx, groups, make(*be, w, {c, 1, 1, 1}), make(*be, b, {c, 1, 1, 1}), 1e-5f, ty);
          std::vector<double> want(x.size());
          const int64_t cg = c / groups;
          for (int g = 0; g < groups; g++) {
            double m = 0, v = 0;
            for (int64_t r = 0; r < t; r++)
              for (int64_t i = g * cg; i < (g + 1) * cg; i++) m += x[size_t(r * c + i)];
            m /= double(cg * t);
            for (int64_t r = 0; r < t; r++)
              for (int64_t i = g * cg; i < (g + 1) * cg; i++) v += (x[size_t(r * c + i)] - m) * (x[size_t(r * c + i)] - m);
            v /= double(cg * t);
            for (int64_t r = 0; r < t; r++)
              for (int64_t i = g * cg; i < (g + 1) * cg; i++)
                want[size_t(r * c + i)] = (x[size_t(r * c + i)] - m) / std::sqrt(v + 1e-5) * w[size_t(i)] + b[size_t(i)];
          }
          expect_close(get(*be, ty), want, "group_norm c=" + std::to_string(c) + " t=" + std::to_string(t));
        }
      }
    }
  }
}

TEST(SpeechOps, Conv1d) {
  struct Case { int64_t c_in, c_out, k, t_in; int stride, pad; };
  const Case cases[] = {{1, 8, 127, 1000, 64, 0}, {8, 16, 7, 40, 3, 0}, {16, 8, 3, 13, 2, 0}, {5, 6, 3, 10, 1, 1},
                        {5, 6, 3, 9, 2, 1},      {3, 4, 1, 5, 1, 0},   {4, 4, 5, 2, 1, 2},    {2, 3, 3, 3, 1, 0}};
  for (int threads : {1, 2}) {
    ThreadPool pool(threads);
    auto be = make_cpu_backend(pool);
    for (const Case& cs : cases) {
      for (DType wt : {DType::F32, DType::F16}) {
        const int64_t t_out = (cs.t_in + 2 * cs.pad - cs.k) / cs.stride + 1;
        auto x = randv(size_t(cs.c_in * cs.t_in), uint32_t(cs.k * 7 + cs.t_in));
        auto w = randv(size_t(cs.c_out * cs.k * cs.c_in), uint32_t(cs.c_out), 0.3f);
        Tensor tw;
        if (wt == DType::F16) {
          std::vector<uint16_t> h(w.size());
          for (size_t i = 0; i < w.size(); i++) {
            h[i] = f32_to_fp16(w[i]);
            w[i] = fp16_to_f32(h[i]);
          }
          tw = be->alloc(DType::F16, {cs.k * cs.c_in, cs.c_out, 1, 1});
          be->write(tw, h.data(), h.size() * 2);
        } else {
          tw = make(*be, w, {cs.k * cs.c_in, cs.c_out, 1, 1});
        }
        Tensor tx = make(*be, x, {cs.c_in, cs.t_in, 1, 1}), ty = be->alloc(DType::F32, {cs.c_out, t_out, 1, 1});
        be->conv1d(tw, tx, cs.stride, cs.pad, ty);
        std::vector<double> want(size_t(cs.c_out * t_out));
        for (int64_t t = 0; t < t_out; t++) {
          for (int64_t o = 0; o < cs.c_out; o++) {
            double s = 0;
            for (int64_t k = 0; k < cs.k; k++) {
              const int64_t src = t * cs.stride + k - cs.pad;
              if (src < 0 || src >= cs.t_in) continue;
              for (int64_t c = 0; c < cs.c_in; c++)
                s += double(w[size_t((o * cs.k + k) * cs.c_in + c)]) * x[size_t(src * cs.c_in + c)];
            }
            want[size_t(t * cs.c_out + o)] = s;
          }
        }
        expect_close(get(*be, ty), want,
                     "conv1d k=" + std::to_string(cs.k) + " stride=" + std::to_string(cs.stride) + " pad=" +
                         std::to_string(cs.pad) + " " + dtype_name(wt));
      }
    }
    // Shape errors are one-line errors, not crashes.
    Tensor w = be->alloc(DType::F32, {6, 2, 1, 1}), x = be->alloc(DType::F32, {2, 2, 1, 1});
    Tensor y = be->alloc(DType::F32, {2, 1, 1, 1});
    EXPECT_THROW(be->conv1d(w, x, 1, 0, y), Error);  // k = 3 > t_in = 2
  }
}

TEST(SpeechOps, NonCausalAttention) {
  ThreadPool pool(2);
  auto be = make_cpu_backend(pool);
  for (int64_t hd : {12, 36, 64}) {
    for (int64_t n_head : {1, 4}) {
      for (int64_t n_q : {1, 5, 40}) {
        for (int64_t n_kv : {1, 3, 77}) {
          const int64_t n_kv_head = n_head == 4 ? 2 : 1;
          auto q = randv(size_t(hd * n_head * n_q), 1), k = randv(size_t(hd * n_kv_head * n_kv), 2);
          auto v = randv(size_t(hd * n_kv_head * n_kv), 3);
          Tensor tq = make(*be, q, {hd, n_head, n_q, 1}), tk = make(*be, k, {hd * n_kv_head, n_kv, 1, 1});
          Tensor tv = make(*be, v, {hd * n_kv_head, n_kv, 1, 1}), to = be->alloc(DType::F32, {hd, n_head, n_q, 1});
          AttnParams p;
          p.scale = 0.3f;
          p.causal = false;
          be->attention(tq, tk, tv, int(n_kv_head), 0, p, to);
          std::vector<double> want(q.size());
          for (int64_t t = 0; t < n_q; t++) {
            for (int64_t h = 0; h < n_head; h++) {
              const int64_t kh = h / (n_head / n_kv_head);
              std::vector<double> s(static_cast<size_t>(n_kv));
              double mx = -1e300, sum = 0;
              for (int64_t j = 0; j < n_kv; j++) {
                double d = 0;
                for (int64_t i = 0; i < hd; i++)
                  d += double(q[size_t((t * n_head + h) * hd + i)]) * k[size_t(j * hd * n_kv_head + kh * hd + i)];
                s[size_t(j)] = d * 0.3;
                mx = std::max(mx, s[size_t(j)]);
              }
              for (double& e : s) sum += (e = std::exp(e - mx));
              for (int64_t i = 0; i < hd; i++) {
                double a = 0;
                for (int64_t j = 0; j < n_kv; j++) a += s[size_t(j)] * v[size_t(j * hd * n_kv_head + kh * hd + i)];
                want[size_t((t * n_head + h) * hd + i)] = a / sum;
              }
            }
          }
          expect_close(get(*be, to), want, "attention hd=" + std::to_string(hd) + " n_q=" + std::to_string(n_q) +
                                               " n_kv=" + std::to_string(n_kv));
        }
      }
    }
  }
  Tensor q = be->alloc(DType::F32, {8, 1, 1, 1}), k = be->alloc(DType::F32, {8, 4, 1, 1}), o = q;
  o = be->alloc(DType::F32, {8, 1, 1, 1});
  AttnParams p;
  p.causal = false;
  EXPECT_THROW(be->attention(q, k, k, 1, 2, p, o), Error);  // n_past must be 0 without a mask
}

}  // namespace
