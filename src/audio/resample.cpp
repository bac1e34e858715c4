// resample.cpp — polyphase windowed-sinc resampler. See resample.h.
#include "audio/resample.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "core/error.h"

namespace sotto::audio {
namespace {

double bessel_i0(double x) {  // power series; converges fast for the betas used (< 15)
  double sum = 1.0, term = 1.0;
  const double q = x * x / 4.0;
  for (int k = 1; k < 200; ++k) {
    term *= q / (double(k) * double(k));
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

constexpr int64_t k_max_table_phases = 2048;
constexpr int k_window_table = 8192;

}  // namespace

Resampler::Resampler(int in_rate, int out_rate, const ResamplerOptions& opt) : in_rate_(in_rate), out_rate_(out_rate) {
  if (in_rate <= 0 || out_rate <= 0 || in_rate > 10000000 || out_rate > 10000000)
    fail("resampler: bad rates ", std::to_string(in_rate), " -> ", std::to_string(out_rate));
  if (in_rate == out_rate) {
    passthrough_ = true;
    return;
  }
  const int64_t g = std::gcd(int64_t(in_rate), int64_t(out_rate));
  L_ = out_rate / g;
  M_ = in_rate / g;
  // Frequencies in cycles per input sample. Nyquist of the lower rate:
  const double nyq = 0.5 * std::min(1.0, double(L_) / double(M_));
  const double pass = opt.passband_edge * nyq;
  fc_ = 0.5 * (pass + nyq);
  const double A = opt.stopband_db;
  beta_ = A > 50 ? 0.1102 * (A - 8.7) : (A >= 21 ? 0.5842 * std::pow(A - 21, 0.4) + 0.07886 * (A - 21) : 0.0);
  // Kaiser length in input samples: N = (A - 7.95) / (2.285 * 2*pi*dF), dF = transition width (cycles/input sample).
  const double n_taps = (A - 7.95) / (2.285 * 2.0 * M_PI * (nyq - pass));
  half_ = std::max(2, int(std::ceil(n_taps / 2.0)) + 1);
  table_ = L_ <= k_max_table_phases;
  if (table_) {
    coef_.resize(size_t(L_) * size_t(2 * half_));
    for (int64_t p = 0; p < L_; ++p) kernel_for_phase(p, coef_.data() + p * 2 * half_);
  }
  if (!table_) {  // Kaiser window tabulated over |r| in [0, 1] for the per-output kernels
    window_.resize(k_window_table + 2);
    for (int i = 0; i <= k_window_table + 1; ++i) {
      const double r = std::min(1.0, double(i) / k_window_table);
      window_[size_t(i)] = bessel_i0(beta_ * std::sqrt(1.0 - r * r)) / bessel_i0(beta_);
    }
  }
  buf_.assign(size_t(half_ - 1), 0.0f);  // zeros before the start
  buf_start_ = -(half_ - 1);
}

// Taps for an output at input time i0 + phase/L; tap k multiplies x[i0 - K + 1 + k].
void Resampler::kernel_for_phase(int64_t phase, float* dst) const {
  const int K = half_;
  const double frac = double(phase) / double(L_);
  for (int k = 0; k < 2 * K; ++k) {
    const double tau = frac + double(K - 1 - k);  // distance from the output time to the input sample
    const double r = tau / double(K);
    double w = 0.0;
    if (std::abs(r) < 1.0) w = bessel_i0(beta_ * std::sqrt(1.0 - r * r)) / bessel_i0(beta_);
    const double a = 2.0 * fc_ * tau;
    const double s = std::abs(a) < 1e-12 ? 1.0 : std::sin(M_PI * a) / (M_PI * a);
    dst[k] = float(2.0 * fc_ * s * w);
  }
}

// Same kernel without Bessel calls: window by linear interpolation in a fine table (error < 1e-7), sin by a
// rotation recurrence in double (tau steps by -1, so sin(pi a) advances by a fixed angle).
void Resampler::fast_kernel_for_phase(int64_t phase, float* dst) const {
  const int K = half_;
  const double frac = double(phase) / double(L_);
  const double step = -2.0 * M_PI * fc_;  // change of pi * a per tap
  const double a0 = 2.0 * fc_ * (frac + double(K - 1));
  double sn = std::sin(M_PI * a0), cs = std::cos(M_PI * a0);
  const double ss = std::sin(step), cc = std::cos(step);
  for (int k = 0; k < 2 * K; ++k) {
    const double tau = frac + double(K - 1 - k);
    const double r = std::abs(tau) / double(K);
    double w = 0.0;
    if (r < 1.0) {
      const double pos = r * k_window_table;
      const int i = int(pos);
      const double t = pos - double(i);
      w = window_[size_t(i)] * (1.0 - t) + window_[size_t(i) + 1] * t;
    }
    const double a = 2.0 * fc_ * tau;
    const double sinc = std::abs(a) < 1e-9 ? 1.0 : sn / (M_PI * a);
    dst[k] = float(2.0 * fc_ * sinc * w);
    const double sn2 = sn * cc + cs * ss;
    cs = cs * cc - sn * ss;
    sn = sn2;
  }
}

void Resampler::run(std::vector<float>& out, int64_t limit_out) {
  const int K = half_;
  const int64_t buf_end = buf_start_ + int64_t(buf_.size());
  std::vector<float> tmp;
  if (!table_) tmp.resize(size_t(2 * K));
  while (n_out_ < limit_out) {
    const int64_t t = n_out_ * M_;
    const int64_t i0 = t / L_;
    const int64_t phase = t % L_;
    if (i0 + K >= buf_end) break;  // needs x[i0 + K]
    const float* x = buf_.data() + (i0 - K + 1 - buf_start_);
    const float* h;
    if (table_) {
      h = coef_.data() + phase * 2 * K;
    } else {
      fast_kernel_for_phase(phase, tmp.data());
      h = tmp.data();
    }
    // 32 independent partial sums (fixed order, so results do not depend on chunking): the compiler keeps
    // them in vector registers and the FMA chains overlap.
    float acc[32] = {};
    int k = 0;
    for (; k + 32 <= 2 * K; k += 32)
      for (int j = 0; j < 32; ++j) acc[j] += h[k + j] * x[k + j];
    for (; k < 2 * K; ++k) acc[k & 31] += h[k] * x[k];
    for (int w = 16; w >= 1; w /= 2)
      for (int j = 0; j < w; ++j) acc[j] += acc[j + w];
    const float s = acc[0];
    out.push_back(s);
    ++n_out_;
  }
  // Drop inputs no future output needs.
  const int64_t next_i0 = (n_out_ * M_) / L_;
  const int64_t keep_from = std::min(next_i0 - K + 1, buf_end);
  if (keep_from > buf_start_) {
    buf_.erase(buf_.begin(), buf_.begin() + (keep_from - buf_start_));
    buf_start_ = keep_from;
  }
}

void Resampler::process(const float* x, size_t n, std::vector<float>& out) {
  if (flushed_) fail("resampler: process() after flush()");
  if (passthrough_) {
    out.insert(out.end(), x, x + n);
    return;
  }
  buf_.insert(buf_.end(), x, x + n);
  n_in_ += int64_t(n);
  run(out, INT64_MAX);
}

void Resampler::flush(std::vector<float>& out) {
  if (flushed_) return;
  flushed_ = true;
  if (passthrough_) return;
  const int64_t total_out = (n_in_ * L_ + M_ - 1) / M_;
  buf_.insert(buf_.end(), size_t(half_ + 1), 0.0f);
  run(out, total_out);
}

std::vector<float> resample(const float* x, size_t n, int in_rate, int out_rate, const ResamplerOptions& opt) {
  Resampler r(in_rate, out_rate, opt);
  std::vector<float> out;
  out.reserve(size_t(double(n) * out_rate / in_rate) + 8);
  r.process(x, n, out);
  r.flush(out);
  return out;
}

}  // namespace sotto::audio
