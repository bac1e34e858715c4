// test-audio-resample.cpp — resampler quality and streaming: passband sines keep amplitude and phase
// (error <= 2e-4 of full scale: ripple < 0.002 dB, no delay), sines above the new Nyquist are attenuated
// by >= 80 dB, chunked output is bit-identical to one-shot, lengths are ceil(n * out / in).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "audio/resample.h"
#include "core/error.h"

using namespace sotto::audio;

namespace {

std::vector<float> sine(double freq, int rate, size_t n, double amp = 0.5) {
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) x[i] = float(amp * std::sin(2.0 * M_PI * freq * double(i) / rate));
  return x;
}

// Max deviation from the ideal sine at the output rate over the middle (edges see the zero padding).
double passband_error(double freq, int in_rate, int out_rate) {
  const size_t n = size_t(in_rate) / 2;
  auto x = sine(freq, in_rate, n);
  auto y = resample(x.data(), x.size(), in_rate, out_rate);
  auto ideal = sine(freq, out_rate, y.size());
  double err = 0;
  for (size_t i = y.size() / 5; i < y.size() * 4 / 5; ++i) err = std::max(err, std::abs(double(y[i]) - ideal[i]));
  return err;
}

double stopband_db(double freq, int in_rate, int out_rate) {
  const size_t n = size_t(in_rate) / 2;
  auto x = sine(freq, in_rate, n, 1.0);
  auto y = resample(x.data(), x.size(), in_rate, out_rate);
  double e = 0;
  size_t cnt = 0;
  for (size_t i = y.size() / 5; i < y.size() * 4 / 5; ++i, ++cnt) e += double(y[i]) * y[i];
  return 10.0 * std::log10(e / cnt / 0.5 + 1e-30);  // relative to the input sine's power (1/2)
}

}  // namespace

TEST(AudioResample, PassbandKeepsAmplitudeAndPhase) {
  const int pairs[][2] = {{44100, 16000}, {48000, 16000}, {22050, 16000}, {8000, 16000}, {16000, 44100}, {32000, 16000}};
  for (const auto& p : pairs) {
    const double nyq = 0.5 * std::min(p[0], p[1]);
    for (double frac : {0.01, 0.1, 0.4, 0.7, 0.88}) {
      const double f = frac * nyq;
      EXPECT_LT(passband_error(f, p[0], p[1]), 2e-4) << p[0] << "->" << p[1] << " at " << f << " Hz";
    }
  }
}

TEST(AudioResample, StopbandAttenuation) {
  // Downsampling: tones above 8 kHz must not alias into the 16 kHz output.
  for (double f : {8050.0, 9000.0, 12000.0, 20000.0}) {
    const double db = stopband_db(f, 44100, 16000);
    EXPECT_LT(db, -80.0) << f << " Hz: " << db << " dB";
  }
  for (double f : {8100.0, 15000.0, 23000.0}) EXPECT_LT(stopband_db(f, 48000, 16000), -80.0) << f;
  // Upsampling 8k -> 16k: a 3 kHz tone must not leave an image at 5 kHz (measured as non-3-kHz residue).
  auto x = sine(3000, 8000, 8000);
  auto y = resample(x.data(), x.size(), 8000, 16000);
  auto ideal = sine(3000, 16000, y.size());
  double e = 0;
  size_t cnt = 0;
  for (size_t i = y.size() / 5; i < y.size() * 4 / 5; ++i, ++cnt) e += (y[i] - ideal[i]) * double(y[i] - ideal[i]);
  EXPECT_LT(10 * std::log10(e / cnt / 0.125), -80.0);
}

TEST(AudioResample, ChunkedEqualsOneShotAndLengths) {
  std::vector<float> x(20011);
  uint32_t s = 7;
  for (float& v : x) {
    s = s * 1664525u + 1013904223u;
    v = float(int32_t(s)) / 4.3e9f;
  }
  const int pairs[][2] = {{44100, 16000}, {16000, 44100}, {22050, 16000}, {16000, 16000}, {44101, 16000}};
  for (const auto& p : pairs) {
    const size_t n = p[0] == 44101 ? 3001 : x.size();
    auto whole = resample(x.data(), n, p[0], p[1]);
    EXPECT_EQ(whole.size(), size_t((int64_t(n) * p[1] + p[0] - 1) / p[0])) << p[0] << "->" << p[1];
    Resampler r(p[0], p[1]);
    std::vector<float> parts;
    size_t i = 0, k = 0;
    while (i < n) {
      const size_t c = std::min(n - i, size_t(1 + (k++ * 997) % 2500));
      r.process(x.data() + i, c, parts);
      i += c;
    }
    r.flush(parts);
    EXPECT_EQ(parts, whole) << p[0] << "->" << p[1];
  }
}

TEST(AudioResample, OddRateOnTheFlyKernel) {
  // 44101 -> 16000 has 16000 phases: no table, kernels computed per output; same quality bounds.
  for (double f : {100.0, 1000.0, 5000.0, 7100.0}) EXPECT_LT(passband_error(f, 44101, 16000), 2e-4) << f;
  for (double f : {8050.0, 11000.0, 21000.0}) EXPECT_LT(stopband_db(f, 44101, 16000), -80.0) << f;
  for (double f : {1000.0, 7000.0}) EXPECT_LT(passband_error(f, 16000, 44101), 2e-4) << f;
}

TEST(AudioResample, BadRates) {
  EXPECT_THROW(Resampler(0, 16000), sotto::Error);
  EXPECT_THROW(Resampler(16000, -1), sotto::Error);
  std::vector<float> out;
  Resampler r(44100, 16000);
  r.flush(out);
  EXPECT_TRUE(out.empty());
  float z = 0;
  EXPECT_THROW(r.process(&z, 1, out), sotto::Error);
}
