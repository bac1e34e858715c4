// bench-kernels.cpp — CPU backend kernel speed (Google Benchmark; the `bench` target).
// matvec (1 token) and prefill matmul (64 tokens; 512 for the FFN shapes) per weight dtype at real shapes, with bytes/s of
// weights read; attention for one decode token at n_ctx 512 and 2048 (Qwen2.5-0.5B heads, f16 cache);
// matvec from DRAM (weights cycled past the L3); the fork/join cost of the thread pool;
// a whole Qwen2.5-0.5B-shaped decode token; and a plain memcpy of 64 MiB as the machine's copy bandwidth to compare the matvec rate against.
// Args: {n_in, n_out, threads}. Run: ./bench --benchmark_filter=MatVec
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include "backend/backend.h"
#include "core/quant.h"
#include "core/thread-pool.h"

using namespace sotto;

namespace {

struct Env {
  std::unique_ptr<ThreadPool> pool;
  std::unique_ptr<Backend> be;
};

Env& env(int threads) {
  static std::map<int, Env> envs;  // bench-local: one pool per thread count, kept across benchmarks
  Env& e = envs[threads];
  if (!e.pool) {
    e.pool = std::make_unique<ThreadPool>(threads);
    e.be = make_cpu_backend(*e.pool);
  }
  return e;
}

std::vector<float> randn(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

void run_matmul(benchmark::State& state, DType t, int64_t n_tok) {
  const int64_t n_in = state.range(0), n_out = state.range(1);
  Env& e = env(int(state.range(2)));
  if (n_in % dtype_block_size(t) != 0) {  // e.g. q4_k rows of 896
    state.SkipWithError("row length is not a multiple of the block size");
    return;
  }
  const auto wf = randn(size_t(n_in * n_out), 1);
  const auto wq = quantize_tensor(t, wf.data(), n_out, n_in);
  Tensor w = e.be->alloc(t, {n_in, n_out, 1, 1});
  e.be->write(w, wq.data(), wq.size());
  Tensor x = e.be->alloc(DType::F32, {n_in, n_tok, 1, 1});
  const auto xf = randn(size_t(n_in * n_tok), 2);
  e.be->write(x, xf.data(), xf.size() * 4);
  Tensor y = e.be->alloc(DType::F32, {n_out, n_tok, 1, 1});
  for (auto _ : state) {
    e.be->matmul(w, x, y);
    benchmark::DoNotOptimize(y.data);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(wq.size()));
  state.counters["GFLOPS"] = benchmark::Counter(double(state.iterations()) * 2.0 * double(n_in * n_out * n_tok) * 1e-9,
                                                benchmark::Counter::kIsRate);
}

void shapes(benchmark::internal::Benchmark* b) {
  for (int threads : {1, 2}) {
    b->Args({896, 896, threads});
    b->Args({896, 4864, threads});
    b->Args({4864, 896, threads});
    b->Args({2048, 8192, threads});
  }
  b->UseRealTime();
}

#define MATMUL_BENCH(name, dtype)                                                                   \
  void BM_MatVec_##name(benchmark::State& s) { run_matmul(s, dtype, 1); }                         \
  void BM_Prefill64_##name(benchmark::State& s) { run_matmul(s, dtype, 64); }                     \
  BENCHMARK(BM_MatVec_##name)->Apply(shapes);                                                      \
  BENCHMARK(BM_Prefill64_##name)->Apply(shapes);

// A 512-token prompt through the FFN shapes: activations no longer fit in L1/L2 at once.
void prefill512_shapes(benchmark::internal::Benchmark* b) {
  for (int threads : {1, 2}) {
    b->Args({896, 4864, threads});
    b->Args({4864, 896, threads});
  }
  b->UseRealTime()->Unit(benchmark::kMillisecond);
}
void BM_Prefill512_Q8_0(benchmark::State& s) { run_matmul(s, DType::Q8_0, 512); }
void BM_Prefill512_Q4_0(benchmark::State& s) { run_matmul(s, DType::Q4_0, 512); }
void BM_Prefill512_F16(benchmark::State& s) { run_matmul(s, DType::F16, 512); }
BENCHMARK(BM_Prefill512_Q8_0)->Apply(prefill512_shapes);
BENCHMARK(BM_Prefill512_Q4_0)->Apply(prefill512_shapes);
BENCHMARK(BM_Prefill512_F16)->Apply(prefill512_shapes);

MATMUL_BENCH(F32, DType::F32)
MATMUL_BENCH(F16, DType::F16)
MATMUL_BENCH(BF16, DType::BF16)
MATMUL_BENCH(Q8_0, DType::Q8_0)
MATMUL_BENCH(Q4_0, DType::Q4_0)
MATMUL_BENCH(Q4_K, DType::Q4_K)

// Matvec from DRAM: cycles through enough copies of the matrix (> 96 MiB) that none is in the 32 MiB L3,
// as in a decode step over a whole model.
void run_matvec_cold(benchmark::State& state, DType t) {
  const int64_t n_in = state.range(0), n_out = state.range(1);
  Env& e = env(int(state.range(2)));
  const auto wf = randn(size_t(n_in * n_out), 1);
  const auto wq = quantize_tensor(t, wf.data(), n_out, n_in);
  const size_t copies = std::max<size_t>(2, (size_t(96) << 20) / wq.size() + 1);
  std::vector<Tensor> ws;
  for (size_t i = 0; i < copies; i++) {
    ws.push_back(e.be->alloc(t, {n_in, n_out, 1, 1}));
    e.be->write(ws.back(), wq.data(), wq.size());
  }
  Tensor x = e.be->alloc(DType::F32, {n_in, 1, 1, 1});
  const auto xf = randn(size_t(n_in), 2);
  e.be->write(x, xf.data(), xf.size() * 4);
  Tensor y = e.be->alloc(DType::F32, {n_out, 1, 1, 1});
  size_t i = 0;
  for (auto _ : state) {
    e.be->matmul(ws[i], x, y);
    i = (i + 1) % copies;
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(wq.size()));
}
void cold_shapes(benchmark::internal::Benchmark* b) {
  for (int threads : {1, 2}) {
    b->Args({4864, 896, threads});
    b->Args({2048, 8192, threads});
  }
  b->UseRealTime();
}
void BM_MatVecDram_Q8_0(benchmark::State& s) { run_matvec_cold(s, DType::Q8_0); }
void BM_MatVecDram_Q4_0(benchmark::State& s) { run_matvec_cold(s, DType::Q4_0); }
void BM_MatVecDram_Q4_K(benchmark::State& s) { run_matvec_cold(s, DType::Q4_K); }
void BM_MatVecDram_F16(benchmark::State& s) { run_matvec_cold(s, DType::F16); }
BENCHMARK(BM_MatVecDram_Q8_0)->Apply(cold_shapes);
BENCHMARK(BM_MatVecDram_Q4_0)->Apply(cold_shapes);
BENCHMARK(BM_MatVecDram_Q4_K)->Apply(cold_shapes);
BENCHMARK(BM_MatVecDram_F16)->Apply(cold_shapes);

// The fork/join cost of one parallel_for with trivial work (a decode step issues a few hundred).
void BM_ParallelForEmpty(benchmark::State& state) {
  Env& e = env(int(state.range(0)));
  std::vector<int64_t> sink(64 * 16);
  for (auto _ : state) {
    e.pool->parallel_for(1024, [&](int64_t b, int64_t en, int ti) { sink[size_t(ti) * 16] += en - b; }, 16);
  }
  benchmark::DoNotOptimize(sink.data());
}
BENCHMARK(BM_ParallelForEmpty)->Arg(1)->Arg(2)->UseRealTime();

// One decode step of attention (Qwen2.5-0.5B: 14 query heads, 2 kv heads, head_dim 64), f16 cache.
void BM_AttentionDecode(benchmark::State& state) {
  const int64_t n_ctx = state.range(0), hd = 64, n_head = 14, n_head_kv = 2;
  Env& e = env(int(state.range(1)));
  Tensor q = e.be->alloc(DType::F32, {hd, n_head, 1, 1});
  const auto qf = randn(size_t(hd * n_head), 3);
  e.be->write(q, qf.data(), qf.size() * 4);
  Tensor k = e.be->alloc(DType::F16, {hd * n_head_kv, n_ctx, 1, 1}), v = e.be->alloc(DType::F16, {hd * n_head_kv, n_ctx, 1, 1});
  Tensor kv = e.be->alloc(DType::F32, {hd * n_head_kv, n_ctx, 1, 1});
  const auto kf = randn(size_t(hd * n_head_kv * n_ctx), 4);
  e.be->write(kv, kf.data(), kf.size() * 4);
  e.be->set_rows(kv, k, 0);
  e.be->set_rows(kv, v, 0);
  Tensor out = e.be->alloc(DType::F32, {hd, n_head, 1, 1});
  AttnParams p;
  p.scale = 0.125f;
  for (auto _ : state) e.be->attention(q, k, v, int(n_head_kv), int(n_ctx - 1), p, out);
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(k.nbytes() + v.nbytes()));
}
BENCHMARK(BM_AttentionDecode)->Args({512, 1})->Args({2048, 1})->Args({512, 2})->Args({2048, 2})->UseRealTime();

// Prefill attention: n_ctx query tokens at once from an empty cache (causal).
void BM_AttentionPrefill(benchmark::State& state) {
  const int64_t n_ctx = state.range(0), hd = 64, n_head = 14, n_head_kv = 2;
  Env& e = env(int(state.range(1)));
  Tensor q = e.be->alloc(DType::F32, {hd, n_head, n_ctx, 1});
  const auto qf = randn(size_t(hd * n_head * n_ctx), 5);
  e.be->write(q, qf.data(), qf.size() * 4);
  Tensor k = e.be->alloc(DType::F16, {hd * n_head_kv, n_ctx, 1, 1}), v = e.be->alloc(DType::F16, {hd * n_head_kv, n_ctx, 1, 1});
  Tensor out = e.be->alloc(DType::F32, {hd, n_head, n_ctx, 1});
  AttnParams p;
  p.scale = 0.125f;
  for (auto _ : state) e.be->attention(q, k, v, int(n_head_kv), 0, p, out);
}
BENCHMARK(BM_AttentionPrefill)->Args({512, 2})->UseRealTime()->Unit(benchmark::kMillisecond);

// One decode token through a Qwen2.5-0.5B-shaped stack (24 layers, n_embd 896, 14/2 heads of 64,
// n_ff 4864, tied 151936-row output) made of backend ops only, context at position 511 of an f16 cache.
// Every layer has its own weights (about 500 MB in q8_0), so weights stream from DRAM as in real decode.
// Reports tokens/s; bytes/s counts the weights read.
void BM_DecodeQwen05B(benchmark::State& state) {
  const DType t = DType(state.range(0));
  Env& e = env(int(state.range(1)));
  Backend& be = *e.be;
  const int64_t E = 896, H = 14, HKV = 2, HD = 64, FF = 4864, V = 151936, L = 24, CTX = 512;
  auto weight = [&](int64_t n_in, int64_t n_out) {
    const auto f = randn(size_t(n_in * n_out), uint32_t(n_in + n_out));
    const auto q = quantize_tensor(t, f.data(), n_out, n_in);
    return std::make_pair(q, Shape{n_in, n_out, 1, 1});
  };
  const auto wq = weight(E, H * HD), wk = weight(E, HKV * HD), wo = weight(H * HD, E);
  const auto wg = weight(E, FF), wd = weight(FF, E), wout = weight(E, V);
  auto upload = [&](const std::pair<std::vector<uint8_t>, Shape>& w) {
    Tensor x = be.alloc(t, w.second);
    be.write(x, w.first.data(), w.first.size());
    return x;
  };
  struct Layer { Tensor q, k, v, o, gate, up, down, kc, vc; };
  std::vector<Layer> layers;
  size_t bytes = 0;
  for (int64_t l = 0; l < L; l++) {
    Layer y{upload(wq), upload(wk), upload(wk), upload(wo), upload(wg), upload(wg), upload(wd),
            be.alloc(DType::F16, {HKV * HD, CTX, 1, 1}), be.alloc(DType::F16, {HKV * HD, CTX, 1, 1})};
    bytes += y.q.nbytes() + y.k.nbytes() + y.v.nbytes() + y.o.nbytes() + y.gate.nbytes() + y.up.nbytes() +
             y.down.nbytes();
    layers.push_back(std::move(y));
  }
  Tensor out_w = upload(wout);
  bytes += out_w.nbytes();
  Tensor norm = be.alloc(DType::F32, {E, 1, 1, 1});
  const std::vector<float> ones(size_t(E), 1.0f);
  be.write(norm, ones.data(), ones.size() * 4);
  Tensor x = be.alloc(DType::F32, {E, 1, 1, 1}), h = be.alloc(DType::F32, {E, 1, 1, 1});
  Tensor o = be.alloc(DType::F32, {E, 1, 1, 1}), q = be.alloc(DType::F32, {HD, H, 1, 1});
  Tensor k = be.alloc(DType::F32, {HD * HKV, 1, 1, 1}), v = be.alloc(DType::F32, {HD * HKV, 1, 1, 1});
  Tensor a = be.alloc(DType::F32, {HD, H, 1, 1}), g = be.alloc(DType::F32, {FF, 1, 1, 1});
  Tensor u = be.alloc(DType::F32, {FF, 1, 1, 1}), logits = be.alloc(DType::F32, {V, 1, 1, 1});
  const auto x0 = randn(size_t(E), 9);
  RopeParams rp;
  rp.n_rot = int(HD);
  rp.neox = true;
  AttnParams ap;
  ap.scale = 0.125f;
  const int pos = int(CTX - 1);
  for (auto _ : state) {
    be.write(x, x0.data(), x0.size() * 4);
    for (Layer& y : layers) {
      be.rms_norm(x, norm, 1e-6f, h);
      Tensor qf = reshape(q, {HD * H, 1, 1, 1});
      be.matmul(y.q, h, qf);
      be.matmul(y.k, h, k);
      be.matmul(y.v, h, v);
      Tensor k3 = reshape(k, {HD, HKV, 1, 1});
      be.rope(q, pos, rp);
      be.rope(k3, pos, rp);
      be.set_rows(k, y.kc, pos);
      be.set_rows(v, y.vc, pos);
      be.attention(q, y.kc, y.vc, int(HKV), pos, ap, a);
      be.matmul(y.o, reshape(a, {HD * H, 1, 1, 1}), o);
      be.add(x, o, x);
      be.rms_norm(x, norm, 1e-6f, h);
      be.matmul(y.gate, h, g);
      be.matmul(y.up, h, u);
      be.swiglu(g, u, g);
      be.matmul(y.down, g, o);
      be.add(x, o, x);
    }
    be.rms_norm(x, norm, 1e-6f, h);
    be.matmul(out_w, h, logits);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(bytes));
  state.counters["tok/s"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DecodeQwen05B)
    ->Args({int(DType::Q8_0), 1})->Args({int(DType::Q8_0), 2})->Args({int(DType::Q4_0), 1})->Args({int(DType::Q4_0), 2})
    ->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_Memcpy64MiB(benchmark::State& state) {
  const size_t n = size_t(64) << 20;
  std::vector<char> a(n, 1), b(n, 2);
  for (auto _ : state) {
    std::memcpy(b.data(), a.data(), n);
    benchmark::DoNotOptimize(b.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(n));
}
BENCHMARK(BM_Memcpy64MiB)->UseRealTime();

}  // namespace
