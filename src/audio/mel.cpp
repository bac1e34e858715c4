// mel.cpp — STFT power spectrum, Slaney mel filterbank, Whisper log scaling. See mel.h.
#include "audio/mel.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "audio/fft.h"
#include "core/error.h"

namespace sotto::audio {
namespace {

// Slaney mel scale (librosa htk=False): linear below 1 kHz, logarithmic above.
constexpr double k_f_sp = 200.0 / 3.0;
constexpr double k_min_log_hz = 1000.0;
constexpr double k_min_log_mel = k_min_log_hz / k_f_sp;  // 15
const double k_logstep = std::log(6.4) / 27.0;

double hz_to_mel(double f) { return f < k_min_log_hz ? f / k_f_sp : k_min_log_mel + std::log(f / k_min_log_hz) / k_logstep; }
double mel_to_hz(double m) { return m < k_min_log_mel ? m * k_f_sp : k_min_log_hz * std::exp(k_logstep * (m - k_min_log_mel)); }

}  // namespace

std::vector<float> mel_filterbank(const MelOptions& opt) {
  const int n_bins = opt.n_fft / 2 + 1;
  const double fmax = opt.sample_rate / 2.0;
  std::vector<double> fft_f(static_cast<size_t>(n_bins));
  std::vector<double> mel_f(static_cast<size_t>(opt.n_mels + 2));
  for (int k = 0; k < n_bins; ++k) fft_f[size_t(k)] = fmax * double(k) / double(n_bins - 1);
  const double m0 = hz_to_mel(0.0), m1 = hz_to_mel(fmax);
  for (int i = 0; i < opt.n_mels + 2; ++i) mel_f[size_t(i)] = mel_to_hz(m0 + (m1 - m0) * double(i) / double(opt.n_mels + 1));
  std::vector<float> w(size_t(opt.n_mels) * size_t(n_bins));
  for (int i = 0; i < opt.n_mels; ++i) {
    const double lo = mel_f[size_t(i)], mid = mel_f[size_t(i) + 1], hi = mel_f[size_t(i) + 2];
    const double enorm = 2.0 / (hi - lo);
    for (int k = 0; k < n_bins; ++k) {
      const double f = fft_f[size_t(k)];
      const double up = (f - lo) / (mid - lo), down = (hi - f) / (hi - mid);
      w[size_t(i) * size_t(n_bins) + size_t(k)] = float(std::max(0.0, std::min(up, down)) * enorm);
    }
  }
  return w;
}

MelSpectrogram::MelSpectrogram(const MelOptions& opt) : opt_(opt) {
  if (opt.n_fft < 2 || opt.hop < 1 || opt.n_mels < 1 || opt.sample_rate < 1) fail("mel: bad options");
  window_.resize(size_t(opt.n_fft));
  for (int i = 0; i < opt.n_fft; ++i) window_[size_t(i)] = 0.5 - 0.5 * std::cos(2.0 * M_PI * double(i) / double(opt.n_fft));
  filters_ = mel_filterbank(opt);
  const int n_bins = opt.n_fft / 2 + 1;
  for (int m = 0; m < opt.n_mels; ++m) {  // nonzero range of each triangle
    const float* w = filters_.data() + size_t(m) * size_t(n_bins);
    int b = 0, e = n_bins;
    while (b < n_bins && w[b] == 0.0f) ++b;
    while (e > b && w[e - 1] == 0.0f) --e;
    band_.emplace_back(b, e);
  }
}

std::vector<float> MelSpectrogram::power(const float* x, size_t n, int& n_frames) const {
  const int nf = opt_.n_fft, pad = nf / 2, n_bins = nf / 2 + 1;
  if (n <= size_t(pad)) fail("mel: ", std::to_string(n), " samples is too short (need more than ", std::to_string(pad), ")");
  n_frames = int(n / size_t(opt_.hop));
  // Reflect-padded signal: padded[i] = x[reflect(i - pad)].
  const int64_t len = int64_t(n);
  auto at = [&](int64_t i) {
    i -= pad;
    if (i < 0) i = -i;
    if (i >= len) i = 2 * (len - 1) - i;
    return double(x[i]);
  };
  std::vector<float> out(size_t(n_frames) * size_t(n_bins));
  std::vector<double> frame(static_cast<size_t>(nf));
  if (nf % 2 != 0) {  // odd n_fft: plain complex FFT of the real frame
    Fft fft(nf);
    std::vector<cfloat> buf(static_cast<size_t>(nf));
    std::vector<cfloat> spec(static_cast<size_t>(nf));
    for (int t = 0; t < n_frames; ++t) {
      const int64_t s = int64_t(t) * opt_.hop;
      for (int i = 0; i < nf; ++i) buf[size_t(i)] = cfloat(at(s + i) * window_[size_t(i)], 0.0);
      fft.forward(buf.data(), spec.data());
      float* o = out.data() + size_t(t) * size_t(n_bins);
      for (int k = 0; k < n_bins; ++k) o[k] = float(std::norm(spec[size_t(k)]));
    }
    return out;
  }
  // Even n_fft: real transform through one complex FFT of half size. z[j] = x[2j] + i x[2j+1], Z = FFT_h(z),
  // X[k] = (Z[k] + conj(Z[h-k])) / 2 - i/2 * e^{-2 pi i k / n} (Z[k] - conj(Z[h-k])), k = 0..h (Z[h] = Z[0]).
  const int h = nf / 2;
  Fft fft(h);
  std::vector<cfloat> z(static_cast<size_t>(h));
  std::vector<cfloat> zf(static_cast<size_t>(h));
  std::vector<cfloat> tw(static_cast<size_t>(h + 1));
  for (int k = 0; k <= h; ++k) tw[size_t(k)] = std::polar(1.0, -2.0 * M_PI * double(k) / double(nf));
  for (int t = 0; t < n_frames; ++t) {
    const int64_t s = int64_t(t) * opt_.hop;
    for (int j = 0; j < h; ++j)
      z[size_t(j)] = cfloat(at(s + 2 * j) * window_[size_t(2 * j)], at(s + 2 * j + 1) * window_[size_t(2 * j + 1)]);
    fft.forward(z.data(), zf.data());
    float* o = out.data() + size_t(t) * size_t(n_bins);
    for (int k = 0; k <= h; ++k) {
      const cfloat a = zf[size_t(k % h)], b = std::conj(zf[size_t((h - k) % h)]);
      const cfloat e = 0.5 * (a + b), d = a - b;  // d * (-i/2) * tw
      const cfloat w = tw[size_t(k)];
      const double dr = 0.5 * d.imag(), di = -0.5 * d.real();  // (-i/2) * d
      const double xr = e.real() + dr * w.real() - di * w.imag();
      const double xi = e.imag() + dr * w.imag() + di * w.real();
      o[k] = float(xr * xr + xi * xi);
    }
  }
  return out;
}

LogMel MelSpectrogram::compute(const float* x, size_t n) const {
  int n_frames = 0;
  const std::vector<float> pw = power(x, n, n_frames);
  const int n_bins = opt_.n_fft / 2 + 1;
  LogMel r;
  r.n_mels = opt_.n_mels;
  r.n_frames = n_frames;
  r.data.assign(size_t(r.n_mels) * size_t(n_frames), 0.0f);
  float mx = -1e30f;
  for (int t = 0; t < n_frames; ++t) {
    const float* p = pw.data() + size_t(t) * size_t(n_bins);
    for (int m = 0; m < r.n_mels; ++m) {
      const float* w = filters_.data() + size_t(m) * size_t(n_bins);
      float acc = 0.0f;
      for (int k = band_[size_t(m)].first; k < band_[size_t(m)].second; ++k) acc += w[k] * p[k];
      const float v = std::log10(std::max(acc, 1e-10f));
      r.data[size_t(m) * size_t(n_frames) + size_t(t)] = v;
      mx = std::max(mx, v);
    }
  }
  for (float& v : r.data) v = (std::max(v, mx - 8.0f) + 4.0f) / 4.0f;
  return r;
}

}  // namespace sotto::audio
