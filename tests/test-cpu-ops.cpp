// test-cpu-ops.cpp — every op of the CPU backend against a plain double-precision reference written
// here, at 1, 2 and 3 threads, over odd sizes, block multiples and multi-token shapes.
// Tolerances (stated per op):
//   matmul, float weights: |y - ref| <= 1e-5 * sum|w x| (ref uses the dequantized weights exactly)
//   matmul, quantized weights: the activations are quantized to 8 bits per 32 values, so
//     |y - ref| <= sum_i |w_i| * d_x(i) / 2 * 1.001 + 1e-5 * sum|w x|   (d_x = block max|x| / 127)
//   get_rows: bit-exact with quant.h's dequantize_row
//   add, mul, scale, set_rows(f32): exact; set_rows(f16): exact f16 rounding
//   rms_norm, rope, swiglu, geglu, softmax: 2e-6 relative to the row's magnitude (+ 1e-6 absolute)
//   attention: 1e-5 absolute on O(1) values (f32 and f16 caches; the reference reads the same f16 values)
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "backend/backend.h"
#include "core/error.h"
#include "core/quant.h"
#include "core/thread-pool.h"

using namespace sotto;

namespace {

std::vector<float> randn(size_t n, uint32_t seed, float sigma = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, sigma);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

Tensor make(Backend& be, DType t, Shape ne, const void* bytes = nullptr) {
  Tensor x = be.alloc(t, ne);
  if (bytes) be.write(x, bytes, x.nbytes());
  return x;
}
Tensor make_f32(Backend& be, Shape ne, const std::vector<float>& v) { return make(be, DType::F32, ne, v.data()); }
std::vector<float> read_f32(Backend& be, const Tensor& t) {
  std::vector<float> v(size_t(t.nelements()));
  be.read(t, v.data(), v.size() * 4);
  return v;
}

class CpuOps : public ::testing::TestWithParam<int> {
 protected:
  CpuOps() : pool_(GetParam()), be_(make_cpu_backend(pool_)) {}
  ThreadPool pool_;
  std::unique_ptr<Backend> be_;
};

}  // namespace

TEST_P(CpuOps, MatMulEveryDtype) {
  Backend& be = *be_;
  const DType types[] = {DType::F32, DType::F16, DType::BF16, DType::Q8_0, DType::Q4_0, DType::Q4_K};
  for (DType t : types) {
    const bool quant = dtype_block_size(t) > 1;
    std::vector<int64_t> n_ins = quant ? std::vector<int64_t>{256, 512} : std::vector<int64_t>{1, 7, 33, 256};
    if (t == DType::Q8_0 || t == DType::Q4_0) n_ins.insert(n_ins.end(), {32, 96});
    if (t == DType::F32 || t == DType::Q8_0) n_ins.push_back(8192);  // several token blocks for f32
    for (int64_t n_in : n_ins) {
      for (int64_t n_out : {1, 15, 16, 17, 40}) {
        for (int64_t n_tok : {1, 3, 4, 5, 9, 12, 19, 30, 41}) {
          if (n_in == 8192 && (n_out > 16 || n_tok < 9)) continue;
          const auto wf = randn(size_t(n_in * n_out), uint32_t(n_in * 131 + n_out * 7 + n_tok));
          const auto wq = quantize_tensor(t, wf.data(), n_out, n_in);
          std::vector<float> wd(size_t(n_in * n_out));
          for (int64_t o = 0; o < n_out; o++)
            dequantize_row(t, wq.data() + size_t(o) * dtype_row_bytes(t, n_in), wd.data() + o * n_in, n_in);
          const auto xf = randn(size_t(n_in * n_tok) + 1, uint32_t(n_tok * 17 + 3));
          Tensor w = make(be, t, {n_in, n_out, 1, 1}, wq.data());
          // x starts one float into its buffer: rows that do not start on a 32-byte boundary.
          Tensor xbuf = make_f32(be, {int64_t(xf.size()), 1, 1, 1}, xf);
          Tensor x = xbuf;
          x.ne = {n_in, n_tok, 1, 1};
          x.data = xbuf.as<float>() + 1;
          Tensor y = be.alloc(DType::F32, {n_out, n_tok, 1, 1});
          be.matmul(w, x, y);
          const auto yv = read_f32(be, y);
          for (int64_t tk = 0; tk < n_tok; tk++) {
            const float* xr = xf.data() + 1 + tk * n_in;
            for (int64_t o = 0; o < n_out; o++) {
              const float* wr = wd.data() + o * n_in;
              double ref = 0, mag = 0, qerr = 0;
              for (int64_t i = 0; i < n_in; i++) {
                ref += double(wr[i]) * xr[i];
                mag += std::fabs(double(wr[i]) * xr[i]);
              }
              if (quant) {
                for (int64_t b = 0; b < n_in / 32; b++) {
                  double amax = 0, wabs = 0;
                  for (int i = 0; i < 32; i++) {
                    amax = std::max(amax, std::fabs(double(xr[b * 32 + i])));
                    wabs += std::fabs(double(wr[b * 32 + i]));
                  }
                  qerr += wabs * amax / 127 / 2 * 1.001;
                }
              }
              ASSERT_LE(std::fabs(yv[size_t(tk * n_out + o)] - ref), qerr + 1e-5 * mag + 1e-6)
                  << dtype_name(t) << " n_in " << n_in << " n_out " << n_out << " n_tok " << n_tok << " at " << tk
                  << "," << o;
            }
          }
        }
      }
    }
  }
}

TEST_P(CpuOps, GetRowsMatchesDequantize) {
  Backend& be = *be_;
  for (DType t : {DType::F32, DType::F16, DType::BF16, DType::Q8_0, DType::Q4_0, DType::Q4_K}) {
    const int64_t n = 512, rows = 9;
    const auto f = randn(size_t(n * rows), 77);
    const auto q = quantize_tensor(t, f.data(), rows, n);
    Tensor table = make(be, t, {n, rows, 1, 1}, q.data());
    const int32_t ids[] = {8, 0, 3, 3, 7};
    Tensor out = be.alloc(DType::F32, {n, 5, 1, 1});
    be.get_rows(table, ids, 5, out);
    const auto got = read_f32(be, out);
    std::vector<float> want(static_cast<size_t>(n));
    for (int i = 0; i < 5; i++) {
      dequantize_row(t, q.data() + size_t(ids[i]) * dtype_row_bytes(t, n), want.data(), n);
      ASSERT_EQ(0, std::memcmp(want.data(), got.data() + i * n, size_t(n) * 4)) << dtype_name(t) << " " << i;
    }
    const int32_t bad[] = {9};
    Tensor one = be.alloc(DType::F32, {n, 1, 1, 1});
    EXPECT_THROW(be.get_rows(table, bad, 1, one), Error);
    // The ids from a backend tensor (the pipelined decode's argmax): the same rows.
    Tensor dev_ids = be.alloc(DType::I32, {5, 1, 1, 1});
    be.write(dev_ids, ids, sizeof ids);
    Tensor out2 = be.alloc(DType::F32, {n, 5, 1, 1});
    be.get_rows_device(table, dev_ids, out2);
    ASSERT_EQ(0, std::memcmp(got.data(), read_f32(be, out2).data(), got.size() * 4)) << dtype_name(t);
    Tensor f32_ids = be.alloc(DType::F32, {1, 1, 1, 1});
    EXPECT_THROW(be.get_rows_device(table, f32_ids, one), Error);
  }
}

TEST_P(CpuOps, AddMulScaleBroadcast) {
  Backend& be = *be_;
  for (int64_t n : {1, 5, 64, 1000}) {
    for (int64_t rows : {1, 3, 70}) {
      const auto a = randn(size_t(n * rows), 1), b = randn(size_t(n * rows), 2), r = randn(size_t(n), 3);
      Tensor ta = make_f32(be, {n, rows, 1, 1}, a), tb = make_f32(be, {n, rows, 1, 1}, b);
      Tensor tr = make_f32(be, {n, 1, 1, 1}, r), y = be.alloc(DType::F32, {n, rows, 1, 1});
      be.add(ta, tb, y);
      auto yv = read_f32(be, y);
      for (size_t i = 0; i < yv.size(); i++) ASSERT_EQ(yv[i], a[i] + b[i]);
      be.mul(ta, tr, y);
      yv = read_f32(be, y);
      for (size_t i = 0; i < yv.size(); i++) ASSERT_EQ(yv[i], a[i] * r[i % size_t(n)]);
      be.add(ta, tr, ta);  // in place, broadcast
      be.scale(ta, -0.5f);
      yv = read_f32(be, ta);
      for (size_t i = 0; i < yv.size(); i++) ASSERT_EQ(yv[i], (a[i] + r[i % size_t(n)]) * -0.5f);
    }
  }
  Tensor a = be.alloc(DType::F32, {4, 2, 1, 1}), b = be.alloc(DType::F32, {3, 1, 1, 1});
  EXPECT_THROW(be.add(a, b, a), Error);
}

TEST_P(CpuOps, RmsNorm) {
  Backend& be = *be_;
  for (int64_t n : {1, 7, 64, 896}) {
    for (int64_t rows : {1, 5, 40}) {
      const auto x = randn(size_t(n * rows), uint32_t(n + rows), 3.0f), w = randn(size_t(n), 9);
      Tensor tx = make_f32(be, {n, rows, 1, 1}, x), tw = make_f32(be, {n, 1, 1, 1}, w);
      Tensor y = be.alloc(DType::F32, {n, rows, 1, 1});
      for (bool with_w : {true, false}) {
        be.rms_norm(tx, with_w ? tw : Tensor{}, 1e-6f, y);
        const auto yv = read_f32(be, y);
        for (int64_t r = 0; r < rows; r++) {
          double ss = 0;
          for (int64_t i = 0; i < n; i++) ss += double(x[size_t(r * n + i)]) * x[size_t(r * n + i)];
          const double inv = 1.0 / std::sqrt(ss / double(n) + 1e-6);
          for (int64_t i = 0; i < n; i++) {
            const double ref = x[size_t(r * n + i)] * inv * (with_w ? w[size_t(i)] : 1.0);
            ASSERT_NEAR(yv[size_t(r * n + i)], ref, 2e-6 * std::fabs(ref) + 1e-6);
          }
        }
      }
      be.rms_norm(tx, tw, 1e-6f, y);
      be.rms_norm(tx, tw, 1e-6f, tx);  // in place gives the same bits
      EXPECT_EQ(read_f32(be, tx), read_f32(be, y));
    }
  }
}

TEST_P(CpuOps, RopeBothLayoutsPartialAndScaled) {
  Backend& be = *be_;
  struct Case { int64_t hd; int n_rot; bool neox; bool factors; float scale; int pos0; };
  const Case cases[] = {{64, 64, true, false, 1.0f, 0},  {64, 64, false, false, 1.0f, 5},
                        {64, 32, true, false, 1.0f, 3},  {64, 16, false, false, 1.0f, 100},
                        {128, 128, true, true, 1.0f, 7}, {128, 128, false, true, 0.25f, 4000},
                        {6, 4, true, false, 1.0f, 1}};
  for (const Case& c : cases) {
    const int64_t n_head = 3, n_tok = 5;
    const auto x = randn(size_t(c.hd * n_head * n_tok), 11);
    std::vector<float> ff(size_t(c.n_rot / 2));
    for (size_t i = 0; i < ff.size(); i++) ff[i] = 1.0f + float(i % 5);
    Tensor t = make_f32(be, {c.hd, n_head, n_tok, 1}, x);
    RopeParams p;
    p.n_rot = c.n_rot;
    p.neox = c.neox;
    p.freq_base = 10000.0f;
    p.freq_scale = c.scale;
    p.freq_factors = c.factors ? ff.data() : nullptr;
    be.rope(t, c.pos0, p);
    const auto y = read_f32(be, t);
    for (int64_t tk = 0; tk < n_tok; tk++) {
      for (int64_t h = 0; h < n_head; h++) {
        const size_t base = size_t((tk * n_head + h) * c.hd);
        std::vector<double> ref(x.begin() + long(base), x.begin() + long(base + size_t(c.hd)));
        for (int i = 0; i < c.n_rot / 2; i++) {
          double theta = (c.pos0 + tk) * double(c.scale) * std::pow(10000.0, -2.0 * i / c.n_rot);
          if (c.factors) theta /= ff[size_t(i)];
          const int a = c.neox ? i : 2 * i, b = c.neox ? i + c.n_rot / 2 : 2 * i + 1;
          ref[size_t(a)] = x[base + size_t(a)] * std::cos(theta) - x[base + size_t(b)] * std::sin(theta);
          ref[size_t(b)] = x[base + size_t(a)] * std::sin(theta) + x[base + size_t(b)] * std::cos(theta);
        }
        for (int64_t i = 0; i < c.hd; i++) ASSERT_NEAR(y[base + size_t(i)], ref[size_t(i)], 2e-6) << c.hd << " " << i;
      }
    }
  }
  Tensor t = be.alloc(DType::F32, {8, 1, 1, 1});
  RopeParams bad;
  bad.n_rot = 10;
  EXPECT_THROW(be.rope(t, 0, bad), Error);
}

TEST_P(CpuOps, GluAndSoftmax) {
  Backend& be = *be_;
  for (int64_t n : {1, 9, 300, 4864}) {
    for (int64_t rows : {1, 8}) {
      const auto g = randn(size_t(n * rows), 21, 4.0f), u = randn(size_t(n * rows), 22);
      for (bool silu : {true, false}) {
        Tensor tg = make_f32(be, {n, rows, 1, 1}, g), tu = make_f32(be, {n, rows, 1, 1}, u);
        if (silu) be.swiglu(tg, tu, tg); else be.geglu(tg, tu, tg);  // y aliases gate
        const auto y = read_f32(be, tg);
        for (size_t i = 0; i < y.size(); i++) {
          const double x = g[i];
          const double act = silu ? x / (1 + std::exp(-x))
                                  : 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
          const double ref = act * u[i];
          ASSERT_NEAR(y[i], ref, 2e-6 * (std::fabs(x * u[i])) + 1e-6) << (silu ? "silu " : "gelu ") << x;
        }
      }
      const auto s = randn(size_t(n * rows), 23, 10.0f);
      Tensor ts = make_f32(be, {n, rows, 1, 1}, s);
      be.softmax(ts);
      const auto y = read_f32(be, ts);
      for (int64_t r = 0; r < rows; r++) {
        double m = -1e300, sum = 0;
        for (int64_t i = 0; i < n; i++) m = std::max(m, double(s[size_t(r * n + i)]));
        for (int64_t i = 0; i < n; i++) sum += std::exp(s[size_t(r * n + i)] - m);
        for (int64_t i = 0; i < n; i++) {
          const double ref = std::exp(s[size_t(r * n + i)] - m) / sum;
          ASSERT_NEAR(y[size_t(r * n + i)], ref, 2e-6 * ref + 1e-9);
        }
      }
    }
  }
}

TEST_P(CpuOps, SetRows) {
  Backend& be = *be_;
  const int64_t n = 37;
  const auto src = randn(size_t(n * 4), 31, 100.0f);
  Tensor s = make_f32(be, {n, 4, 1, 1}, src);
  for (DType t : {DType::F32, DType::F16}) {
    Tensor d = be.alloc(t, {n, 10, 1, 1});
    be.set_rows(s, d, 5);
    std::vector<uint8_t> bytes(d.nbytes());
    be.read(d, bytes.data(), bytes.size());
    for (int64_t r = 0; r < 10; r++) {
      for (int64_t i = 0; i < n; i++) {
        const float want = (r >= 5 && r < 9) ? src[size_t((r - 5) * n + i)] : 0.0f;
        if (t == DType::F32) {
          float v;
          std::memcpy(&v, bytes.data() + size_t(r * n + i) * 4, 4);
          ASSERT_EQ(v, want);
        } else {
          uint16_t h;
          std::memcpy(&h, bytes.data() + size_t(r * n + i) * 2, 2);
          ASSERT_EQ(h, f32_to_fp16(want));
        }
      }
    }
    EXPECT_THROW(be.set_rows(s, d, 7), Error);
  }
}

// Naive attention in double: softmax over visible keys of (scale q.k, softcapped), times V.
static std::vector<double> naive_attention(const std::vector<float>& q, const std::vector<float>& k,
                                           const std::vector<float>& v, int64_t hd, int64_t n_head, int64_t n_tok,
                                           int64_t n_head_kv, int n_past, const AttnParams& p) {
  std::vector<double> out(q.size());
  const int64_t group = n_head / n_head_kv, row = hd * n_head_kv;
  for (int64_t t = 0; t < n_tok; t++) {
    const int64_t pos = n_past + t;
    for (int64_t h = 0; h < n_head; h++) {
      const int64_t kvh = h / group;
      std::vector<double> s;
      std::vector<int64_t> js;
      for (int64_t j = 0; j <= pos; j++) {
        if (p.window > 0 && j <= pos - p.window) continue;
        double d = 0;
        for (int64_t i = 0; i < hd; i++) d += double(q[size_t((t * n_head + h) * hd + i)]) * k[size_t(j * row + kvh * hd + i)];
        d *= p.scale;
        if (p.softcap > 0) d = p.softcap * std::tanh(d / p.softcap);
        s.push_back(d);
        js.push_back(j);
      }
      double m = -1e300, sum = 0;
      for (double x : s) m = std::max(m, x);
      for (double& x : s) sum += (x = std::exp(x - m));
      for (int64_t i = 0; i < hd; i++) {
        double acc = 0;
        for (size_t a = 0; a < s.size(); a++) acc += s[a] * v[size_t(js[a] * row + kvh * hd + i)];
        out[size_t((t * n_head + h) * hd + i)] = acc / sum;
      }
    }
  }
  return out;
}

TEST_P(CpuOps, AttentionAgainstNaive) {
  Backend& be = *be_;
  struct Case { int64_t hd, n_head, n_head_kv, n_tok; int n_past, window; float softcap; DType kv; };
  const Case cases[] = {
      {64, 4, 4, 1, 0, 0, 0.0f, DType::F32},     {64, 14, 2, 1, 300, 0, 0.0f, DType::F32},
      {64, 6, 2, 7, 0, 0, 0.0f, DType::F16},     {32, 4, 1, 20, 150, 64, 0.0f, DType::F16},
      {128, 2, 1, 9, 5, 4, 50.0f, DType::F32},   {16, 3, 3, 33, 0, 0, 20.0f, DType::F16},
      {256, 4, 1, 3, 260, 300, 0.0f, DType::F32}, {64, 8, 1, 1, 400, 0, 0.0f, DType::F16},
      {40, 9, 3, 4, 130, 0, 0.0f, DType::F16},   {512, 20, 1, 2, 40, 0, 0.0f, DType::F16}};
  for (const Case& c : cases) {
    const int64_t n_ctx = c.n_past + c.n_tok + 3, row = c.hd * c.n_head_kv;
    const auto q = randn(size_t(c.hd * c.n_head * c.n_tok), 41, 1.0f);
    auto k = randn(size_t(row * n_ctx), 42, 1.0f), v = randn(size_t(row * n_ctx), 43, 1.0f);
    if (c.kv == DType::F16) {  // the reference sees the cache's f16 values
      for (auto& x : k) x = fp16_to_f32(f32_to_fp16(x));
      for (auto& x : v) x = fp16_to_f32(f32_to_fp16(x));
    }
    Tensor tq = make_f32(be, {c.hd, c.n_head, c.n_tok, 1}, q);
    Tensor kc = be.alloc(c.kv, {row, n_ctx, 1, 1}), vc = be.alloc(c.kv, {row, n_ctx, 1, 1});
    be.set_rows(make_f32(be, {row, n_ctx, 1, 1}, k), kc, 0);
    be.set_rows(make_f32(be, {row, n_ctx, 1, 1}, v), vc, 0);
    AttnParams p;
    p.scale = 1.0f / std::sqrt(float(c.hd)) * 2.0f;  // sharper than usual
    p.window = c.window;
    p.softcap = c.softcap;
    Tensor out = be.alloc(DType::F32, {c.hd, c.n_head, c.n_tok, 1});
    be.attention(tq, kc, vc, int(c.n_head_kv), c.n_past, p, out);
    const auto got = read_f32(be, out);
    const auto ref = naive_attention(q, k, v, c.hd, c.n_head, c.n_tok, c.n_head_kv, c.n_past, p);
    for (size_t i = 0; i < ref.size(); i++) ASSERT_NEAR(got[i], ref[i], 1e-5) << "case hd " << c.hd << " i " << i;
  }
  Tensor q = be.alloc(DType::F32, {64, 4, 2, 1}), kc = be.alloc(DType::F32, {128, 8, 1, 1}), o = q;
  o = be.alloc(DType::F32, {64, 4, 2, 1});
  EXPECT_THROW(be.attention(q, kc, kc, 3, 0, AttnParams{}, o), Error);  // 4 heads over 3 kv heads
  EXPECT_THROW(be.attention(q, kc, kc, 2, 7, AttnParams{}, o), Error);  // past the cache
}

TEST_P(CpuOps, SupportsIsTruthfulAndViews) {
  Backend& be = *be_;
  for (DType t : {DType::F32, DType::F16, DType::BF16, DType::Q8_0, DType::Q4_0, DType::Q4_K}) {
    EXPECT_TRUE(be.supports(Op::MatMul, t));
    EXPECT_TRUE(be.supports(Op::GetRows, t));
  }
  EXPECT_FALSE(be.supports(Op::MatMul, DType::I32));
  EXPECT_TRUE(be.supports(Op::Attention, DType::F16));
  EXPECT_FALSE(be.supports(Op::Attention, DType::Q8_0));
  EXPECT_FALSE(be.supports(Op::RmsNorm, DType::F16));
  Tensor a = be.alloc(DType::F32, {4, 6, 1, 1});
  std::vector<float> v(24);
  for (int i = 0; i < 24; i++) v[size_t(i)] = float(i);
  be.write(a, v.data(), 96);
  Tensor r = view_rows(a, 2, 3);
  EXPECT_EQ(r.ne, (Shape{4, 3, 1, 1}));
  EXPECT_EQ(r.as<float>()[0], 8.0f);
  Tensor s = reshape(a, {2, 2, 6, 1});
  EXPECT_EQ(s.data, a.data);
  EXPECT_THROW(view_rows(a, 4, 3), Error);
  EXPECT_THROW(reshape(a, {5, 5, 1, 1}), Error);
  Tensor qk = be.alloc(DType::Q4_K, {256, 2, 1, 1});
  EXPECT_THROW(reshape(qk, {128, 4, 1, 1}), Error);
  EXPECT_THROW(be.read(a, v.data(), 100), Error);
}

INSTANTIATE_TEST_SUITE_P(Threads, CpuOps, ::testing::Values(1, 2, 3));

// Q4_0 and Q4_K weights take the repacked path for 1-3 tokens and the plain one from 4: both agree with a
// double-precision product of the dequantized weights and quantized activations.
TEST(CpuOps, MatmulRepackedAndPlainPathsAgree) {
  ThreadPool pool(2);
  auto be = make_cpu_backend(pool);
  for (const auto& [type, n_in] : {std::pair{DType::Q4_0, int64_t(96)}, std::pair{DType::Q4_K, int64_t(512)}}) {
  const int64_t n_out = 40;
  std::mt19937 rng(5);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> wf(static_cast<size_t>(n_in * n_out));
  for (auto& v : wf) v = nd(rng);
  std::vector<uint8_t> wq(size_t(n_out) * dtype_row_bytes(type, n_in));
  for (int64_t r = 0; r < n_out; r++) {
    quantize_row(type, wf.data() + r * n_in, wq.data() + r * dtype_row_bytes(type, n_in), n_in);
  }
  Tensor host;
  host.type = type;
  host.ne = {n_in, n_out, 1, 1};
  host.data = wq.data();
  const Tensor w = be->upload(host);
  EXPECT_TRUE(w.extra != nullptr);                      // the repacked layout rides with the tensor
  EXPECT_TRUE(view_rows(w, 8, 16).extra == nullptr);    // a view of some rows must not use it
  EXPECT_TRUE(reshape(w, {n_in, n_out, 1, 1}).extra == nullptr);
  for (int64_t n_tok : {1, 2, 3, 4, 9}) {
    Tensor x = be->alloc(DType::F32, {n_in, n_tok, 1, 1});
    for (int64_t i = 0; i < n_in * n_tok; i++) x.as<float>()[i] = nd(rng);
    Tensor y = be->alloc(DType::F32, {n_out, n_tok, 1, 1});
    be->matmul(w, x, y);
    std::vector<float> wd(static_cast<size_t>(n_in));
    for (int64_t t = 0; t < n_tok; t++) {
      std::vector<float> xr(x.as<float>() + t * n_in, x.as<float>() + (t + 1) * n_in);
      double xmax = 0;
      for (float v : xr) xmax = std::max(xmax, double(std::fabs(v)));
      for (int64_t o = 0; o < n_out; o++) {
        dequantize_row(type, wq.data() + o * dtype_row_bytes(type, n_in), wd.data(), n_in);
        double ref = 0, mag = 0;
        for (int64_t i = 0; i < n_in; i++) {
          ref += double(wd[size_t(i)]) * xr[size_t(i)];
          mag += std::fabs(double(wd[size_t(i)]));
        }
        // 8-bit activations: each carries up to max|x| / 254 of rounding error.
        EXPECT_NEAR(y.as<float>()[t * n_out + o], ref, mag * xmax / 254.0 + 1e-4) << dtype_name(type) << " " << n_tok << " " << o;
      }
    }
  }
  }
}
