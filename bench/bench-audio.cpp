// bench-audio.cpp — audio front end timings (Google Benchmark; the `bench` target): Whisper log-mel of 30 s
// at 16 kHz (80 and 128 bins), resampling 30 s 44.1 kHz -> 16 kHz (one shot and in 100 ms chunks), the energy
// VAD over 30 s, and one 400-point transform by the mixed-radix FFT vs the direct DFT (why we have an FFT).
// Run: ./bench --benchmark_filter=Audio
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "audio/fft.h"
#include "audio/mel.h"
#include "audio/resample.h"
#include "audio/vad.h"

using namespace sotto::audio;

namespace {

std::vector<float> test_signal(int rate, double seconds) {
  std::mt19937 rng(11);
  std::normal_distribution<float> nd(0.0f, 0.02f);
  std::vector<float> x(size_t(rate * seconds));
  for (size_t i = 0; i < x.size(); ++i) {
    const double t = double(i) / rate;
    x[i] = float(0.3 * std::sin(2 * M_PI * 220 * t) * (0.5 + 0.5 * std::sin(2 * M_PI * 0.7 * t))) + nd(rng);
  }
  return x;
}

void BM_AudioMel30s(benchmark::State& state) {
  const auto x = test_signal(16000, 30.0);
  MelOptions opt;
  opt.n_mels = int(state.range(0));
  MelSpectrogram mel(opt);
  for (auto _ : state) benchmark::DoNotOptimize(mel.compute(x.data(), x.size()).data.data());
  state.SetLabel("30 s audio, " + std::to_string(opt.n_mels) + " mels");
}
BENCHMARK(BM_AudioMel30s)->Arg(80)->Arg(128)->Unit(benchmark::kMillisecond);

void BM_AudioResample44kTo16k30s(benchmark::State& state) {
  const auto x = test_signal(44100, 30.0);
  const size_t chunk = size_t(state.range(0));
  for (auto _ : state) {
    Resampler r(44100, 16000);
    std::vector<float> out;
    out.reserve(480010);
    for (size_t i = 0; i < x.size(); i += chunk) r.process(x.data() + i, std::min(chunk, x.size() - i), out);
    r.flush(out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetLabel(chunk >= x.size() ? "one shot" : "100 ms chunks");
}
BENCHMARK(BM_AudioResample44kTo16k30s)->Arg(1 << 30)->Arg(4410)->Unit(benchmark::kMillisecond);

void BM_AudioVad30s(benchmark::State& state) {
  const auto x = test_signal(16000, 30.0);
  for (auto _ : state) benchmark::DoNotOptimize(detect_phrases(x.data(), x.size()).size());
}
BENCHMARK(BM_AudioVad30s)->Unit(benchmark::kMillisecond);

void BM_AudioFft400(benchmark::State& state) {
  std::vector<cfloat> in(400), out(400);
  for (int i = 0; i < 400; ++i) in[size_t(i)] = cfloat(std::sin(0.1 * i), 0.0);
  Fft fft(400);
  const bool naive = state.range(0) != 0;
  for (auto _ : state) {
    if (naive) dft_naive(in.data(), out.data(), 400);
    else fft.forward(in.data(), out.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetLabel(naive ? "direct DFT" : "mixed-radix FFT");
}
BENCHMARK(BM_AudioFft400)->Arg(0)->Arg(1);

}  // namespace
