// bench-sampler.cpp — time of one sampling step at Gemma 3's 262,144-token vocabulary (Google Benchmark;
// the `bench` target): greedy (one argmax pass), the default chain (top-k first: no full candidates
// array), penalties + default, and top-p without top-k (full softmax + nucleus selection).
// Logits are LM-like: a broad noise floor plus a few dozen strong tokens (peaky), or flat (worst case).
// Run: ./bench --benchmark_filter=Sampler
#include <benchmark/benchmark.h>

#include <vector>

#include "runtime/sampler.h"

using namespace sotto;

namespace {

constexpr int kVocab = 262144;

std::vector<float> make_logits(bool peaky) {
  Rng rng(7);
  std::vector<float> v(kVocab);
  for (auto& x : v) x = float((rng.next_double() + rng.next_double() + rng.next_double() - 1.5) * 3.0);
  if (peaky)
    for (int i = 0; i < 40; ++i) v[rng.next() % kVocab] += 14.0f;
  return v;
}

void run_chain(benchmark::State& state, const SamplerParams& p, bool peaky) {
  const auto logits = make_logits(peaky);
  SamplerChain chain = make_chain(p);
  for (auto _ : state) {
    const int32_t t = chain.sample(logits.data(), kVocab);
    chain.accept(t);
    benchmark::DoNotOptimize(t);
  }
  state.SetLabel(chain.describe());
}

void BM_Sampler_Greedy(benchmark::State& s) {
  SamplerParams p;
  p.temperature = 0.0f;
  run_chain(s, p, true);
}
void BM_Sampler_Default(benchmark::State& s) { run_chain(s, SamplerParams{}, true); }
void BM_Sampler_PenaltiesDefault(benchmark::State& s) {
  SamplerParams p;
  p.repeat_penalty = 1.1f;
  run_chain(s, p, true);
}
void BM_Sampler_TopPNoTopK(benchmark::State& s) {
  SamplerParams p;
  p.top_k = 0;
  run_chain(s, p, s.range(0) != 0);
}

}  // namespace

BENCHMARK(BM_Sampler_Greedy)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Sampler_Default)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Sampler_PenaltiesDefault)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Sampler_TopPNoTopK)->Arg(1)->Arg(0)->ArgName("peaky")->Unit(benchmark::kMicrosecond);
