// test-audio-mel.cpp — Whisper log-mel against the NumPy/torch.stft reference (tools/audio/mel_ref.py,
// float64) on committed fixtures; tolerance 2e-5 on the scaled log-mel ((log10 + 4) / 4), i.e. < 0.001 dB (float32 output).
// Also: the mixed-radix FFT against the plain DFT for many sizes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "audio/fft.h"
#include "audio/mel.h"
#include "audio/wav.h"
#include "core/error.h"

using namespace sotto::audio;

namespace {

const std::string k_dir = std::string(SOTTO_SOURCE_DIR) + "/tests/fixtures/audio/";

LogMel load_ref(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw sotto::Error(path + ": cannot open (run /usr/bin/python3 tools/audio/mel_ref.py)");
  int32_t hdr[2];
  in.read(reinterpret_cast<char*>(hdr), 8);
  LogMel m;
  m.n_mels = hdr[0];
  m.n_frames = hdr[1];
  m.data.resize(size_t(hdr[0]) * size_t(hdr[1]));
  in.read(reinterpret_cast<char*>(m.data.data()), std::streamsize(m.data.size() * 4));
  if (!in) throw sotto::Error(path + ": truncated");
  return m;
}

void check_case(const std::string& wav, const std::string& ref, int n_mels) {
  Wav w = read_wav(k_dir + wav);
  ASSERT_EQ(w.sample_rate, 16000);
  LogMel want = load_ref(k_dir + ref);
  MelOptions opt;
  opt.n_mels = n_mels;
  LogMel got = MelSpectrogram(opt).compute(w.samples.data(), w.samples.size());
  ASSERT_EQ(got.n_mels, want.n_mels);
  ASSERT_EQ(got.n_frames, want.n_frames);
  double max_err = 0;
  for (size_t i = 0; i < got.data.size(); ++i) max_err = std::max(max_err, double(std::abs(got.data[i] - want.data[i])));
  EXPECT_LT(max_err, 2e-5) << ref;
  std::printf("%s: max |err| = %.3g\n", ref.c_str(), max_err);
}

}  // namespace

TEST(AudioMel, MatchesTorchReference80) {
  check_case("mel-chirp.wav", "mel-chirp.bin", 80);
  check_case("mel-tones.wav", "mel-tones.bin", 80);
  check_case("mel-burst.wav", "mel-burst.bin", 80);
}

TEST(AudioMel, MatchesTorchReference128) { check_case("mel-chirp.wav", "mel-chirp128.bin", 128); }

TEST(AudioMel, FilterbankShape) {
  // Slaney normalisation: each filter's area in Hz is 1 (triangle of height 2/(hi-lo) over hi-lo) up to sampling.
  MelOptions opt;
  auto fb = mel_filterbank(opt);
  ASSERT_EQ(fb.size(), 80u * 201u);
  for (int m = 0; m < 80; ++m) {
    double area = 0;
    for (int k = 0; k < 201; ++k) area += fb[size_t(m) * 201 + size_t(k)] * 40.0;  // bin width 40 Hz
    if (m >= 45) {  // below ~2 kHz filters span only a few 40 Hz bins, so the sampled area is rough
      EXPECT_NEAR(area, 1.0, 0.05) << m;
    }
  }
}

TEST(AudioMel, ShortInputAndFrames) {
  std::vector<float> x(201, 0.1f);
  LogMel m = MelSpectrogram().compute(x.data(), x.size());
  EXPECT_EQ(m.n_frames, 1);
  EXPECT_THROW(MelSpectrogram().compute(x.data(), 200), sotto::Error);
  std::vector<float> y(480000, 0.0f);
  EXPECT_EQ(MelSpectrogram().compute(y.data(), y.size()).n_frames, 3000);  // 30 s -> 3000 frames, as Whisper
}

TEST(AudioFft, MatchesNaiveDft) {
  for (int n : {1, 2, 3, 4, 5, 7, 8, 12, 16, 25, 49, 60, 100, 128, 143, 400, 512, 1000}) {
    std::vector<cfloat> x(static_cast<size_t>(n));
    std::vector<cfloat> a(static_cast<size_t>(n));
    std::vector<cfloat> b(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) x[size_t(i)] = cfloat(std::sin(0.7 * i + 0.3), std::cos(1.3 * i * i));
    Fft(n).forward(x.data(), a.data());
    dft_naive(x.data(), b.data(), n);
    for (int i = 0; i < n; ++i) ASSERT_LT(std::abs(a[size_t(i)] - b[size_t(i)]), 1e-9 * n) << n << " " << i;
  }
}

TEST(AudioMel, PowerMatchesNaiveDftEvenAndOdd) {
  // The even path uses the half-size real-FFT trick, the odd path a full complex FFT: both against a plain DFT
  // of the reflect-padded, Hann-windowed frame.
  std::vector<float> x(1000);
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(std::sin(0.03 * double(i * i % 977)) * 0.5);
  for (int nf : {400, 401, 64}) {
    MelOptions opt;
    opt.n_fft = nf;
    opt.hop = 97;
    int n_frames = 0;
    const auto pw = MelSpectrogram(opt).power(x.data(), x.size(), n_frames);
    ASSERT_EQ(n_frames, int(x.size()) / 97);
    const int pad = nf / 2, n = int(x.size()), n_bins = nf / 2 + 1;
    std::vector<cfloat> fr(static_cast<size_t>(nf));
    std::vector<cfloat> sp(static_cast<size_t>(nf));
    for (int t = 0; t < n_frames; ++t) {
      for (int i = 0; i < nf; ++i) {
        int j = t * 97 + i - pad;
        if (j < 0) j = -j;
        if (j >= n) j = 2 * (n - 1) - j;
        fr[size_t(i)] = double(x[size_t(j)]) * (0.5 - 0.5 * std::cos(2 * M_PI * i / nf));
      }
      dft_naive(fr.data(), sp.data(), nf);
      for (int k = 0; k < n_bins; ++k) {
        const double want = std::norm(sp[size_t(k)]);
        ASSERT_NEAR(pw[size_t(t) * size_t(n_bins) + size_t(k)], want, 1e-5 * (1.0 + want)) << nf << " " << t << " " << k;
      }
    }
  }
}
