// wasm-kernel-bench.cpp — the wasm CPU backend's prefill kernels alone, per CPU second (a WASI command
// module built and run by tools/bench/wasm-kernel-bench.sh): the repacked Q8_0 and Q4_0 matmul kernels
// (gemm_q8_0x8 on widened activations, gemm_q4_0x8) over one K x N matrix and T tokens, activation
// quantization (quantize_act + widen_q8), and the f32 / f16 2-rows-by-4-tokens dots. Each result is checked
// against the scalar twin (max |fast - twin| printed) so a broken kernel cannot report a speed unnoticed.
// Times are the best of REPS runs of process CPU time (clock_gettime(CLOCK_PROCESS_CPUTIME_ID)), steadier
// than wall time on a shared machine. Does not: threads, the rest of the model (wasm-cpu-bench.mjs).
// Usage: wasm-kernel-bench K N T REPS
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "backend/cpu/kernels.h"
#include "core/dtype.h"
#include "core/quant.h"

using namespace sotto;
using namespace sotto::cpu;

namespace {

double cpu_now() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}
template <typename F>
double best_of(int reps, F f) {
  double best = 1e30;
  for (int r = 0; r < reps; r++) {
    const double t0 = cpu_now();
    f();
    best = std::min(best, cpu_now() - t0);
  }
  return best;
}
float uniform() { return float(std::rand()) / float(RAND_MAX) * 2.0f - 1.0f; }
double max_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); i++) m = std::max(m, double(std::fabs(a[i] - b[i])));
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t K = argc > 1 ? std::atoll(argv[1]) : 896, N = argc > 2 ? std::atoll(argv[2]) : 4864;
  const int64_t T = argc > 3 ? std::atoll(argv[3]) : 64;
  const int reps = argc > 4 ? std::atoi(argv[4]) : 5;
  if (K <= 0 || K % 32 != 0 || N <= 0 || N % 8 != 0 || T <= 0 || reps <= 0) {
    std::fprintf(stderr, "wasm-kernel-bench: K a multiple of 32, N of 8, T >= 1, REPS >= 1\n");
    return 2;
  }
  const int64_t nb = K / 32;
  std::srand(1);
  std::vector<float> x(size_t(T * K));
  for (float& v : x) v = uniform();
  std::vector<BlockQ8A> a(size_t(T * nb));
  std::vector<BlockQ8W> aw(a.size());
  const double tq = best_of(reps, [&] {
    for (int64_t t = 0; t < T; t++) quantize_act(x.data() + t * K, a.data() + t * nb, K);
  });
  const double tw = best_of(reps, [&] { widen_q8(a.data(), T * nb, aw.data()); });
  std::printf("quantize_act: %.3f ms (%.2f ns a value), widen_q8: %.3f ms\n", tq * 1e3, tq * 1e9 / double(T * K),
              tw * 1e3);

  std::vector<BlockQ8_0> w8(size_t(N * nb));
  std::vector<BlockQ4_0> w4(size_t(N * nb));
  for (auto& b : w8) {
    b.d = f32_to_fp16(0.01f + float(std::rand() % 100) * 1e-4f);
    for (auto& q : b.qs) q = int8_t(std::rand() % 256 - 128);
  }
  for (auto& b : w4) {
    b.d = f32_to_fp16(0.01f + float(std::rand() % 100) * 1e-4f);
    for (auto& q : b.qs) q = uint8_t(std::rand() % 256);
  }
  std::vector<BlockQ8_0x8> p8(size_t(N / 8 * nb));
  std::vector<BlockQ4_0x8> p4(size_t(N / 8 * nb));
  repack_q8_0x8(w8.data(), N, K, p8.data(), q8_0x8_order());
  repack_q4_0x8(w4.data(), N, K, p4.data());
  std::vector<float> y(size_t(T * N)), y_ref(y.size());
  const double macs = double(K) * double(N) * double(T);
  for (int q4 = 0; q4 < 2; q4++) {
    auto run = [&](bool ref, std::vector<float>& out) {
      for (int64_t g = 0; g < N / 8; g++) {
        if (q4 && !ref) gemm_q4_0x8(p4.data() + g * nb, a.data(), nb, T, K, out.data() + g * 8, N);
        if (q4 && ref) gemm_q4_0x8_ref(p4.data() + g * nb, a.data(), nb, T, K, out.data() + g * 8, N);
        if (!q4 && !ref) gemm_q8_0x8(p8.data() + g * nb, aw.data(), nb, T, K, out.data() + g * 8, N);
        if (!q4 && ref) gemm_q8_0x8_ref(p8.data() + g * nb, aw.data(), nb, T, K, out.data() + g * 8, N, q8_0x8_order());
      }
    };
    const double t = best_of(reps, [&] { run(false, y); });
    run(true, y_ref);
    std::printf("%s K=%lld N=%lld T=%lld: %.2f ms, %.1f GMAC/s, max |fast - twin| %.3g\n",
                q4 ? "gemm_q4_0x8" : "gemm_q8_0x8", (long long)K, (long long)N, (long long)T, t * 1e3, macs / t * 1e-9,
                max_diff(y, y_ref));
  }

  // float weights: rows in pairs, tokens in fours (the matmul's dot2x4 path); a smaller N (f32 is 4 bytes a weight)
  const int64_t nf = std::min<int64_t>(N, 1024), tf = T / 4 * 4;
  if (tf > 0) {
    std::vector<float> wf(size_t(nf * K)), yf(size_t(tf * nf)), yf_ref(yf.size());
    std::vector<uint16_t> wh(wf.size());
    for (size_t i = 0; i < wf.size(); i++) {
      wf[i] = uniform();
      wh[i] = f32_to_fp16(wf[i]);
    }
    for (int f16 = 0; f16 < 2; f16++) {
      auto run = [&](bool ref, std::vector<float>& out) {
        for (int64_t o = 0; o < nf; o += 2) {
          for (int64_t t = 0; t < tf; t += 4) {
            float r8[8];
            const float* xt = x.data() + t * K;
            if (f16) (ref ? dot2x4_f16_ref : dot2x4_f16)(wh.data() + o * K, K, xt, K, K, r8);
            else (ref ? dot2x4_f32_ref : dot2x4_f32)(wf.data() + o * K, K, xt, K, K, r8);
            for (int i = 0; i < 8; i++) out[size_t((t + i % 4) * nf + o + i / 4)] = r8[i];
          }
        }
      };
      const double t = best_of(reps, [&] { run(false, yf); });
      run(true, yf_ref);
      std::printf("%s K=%lld N=%lld T=%lld: %.2f ms, %.1f GFLOP/s, max |fast - twin| %.3g\n",
                  f16 ? "dot2x4_f16" : "dot2x4_f32", (long long)K, (long long)nf, (long long)tf, t * 1e3,
                  2.0 * double(K) * double(nf) * double(tf) / t * 1e-9, max_diff(yf, yf_ref));
    }
  }
  return 0;
}
