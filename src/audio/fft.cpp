// fft.cpp — recursive mixed-radix decimation-in-time FFT. See fft.h.
#include "audio/fft.h"

#include <cmath>
#include <cstdint>
#include <string>

#include "core/error.h"

namespace sotto::audio {

Fft::Fft(int n) : n_(n) {
  if (n <= 0) fail("fft: bad size ", std::to_string(n));
  int m = n;
  for (int p : {4, 2, 3, 5})
    while (m % p == 0) {
      factors_.push_back(p);
      m /= p;
    }
  for (int p = 7; m > 1; p += 2)
    while (m % p == 0) {
      factors_.push_back(p);
      m /= p;
    }
  tw_.resize(size_t(n));
  for (int k = 0; k < n; ++k) tw_[size_t(k)] = std::polar(1.0, -2.0 * M_PI * double(k) / double(n));
}

// out[0..n) = DFT of in[0], in[stride], ..., using factors_[fi..]; twiddle step for size n is n_/n.
void Fft::rec(const cfloat* in, cfloat* out, int n, int stride, size_t fi) const {
  if (n == 1) {
    out[0] = in[0];
    return;
  }
  const int p = factors_[fi];
  const int m = n / p;
  // Sub-transforms: out[q*m .. q*m+m) = DFT_m of in[q*stride + j*p*stride].
  for (int q = 0; q < p; ++q) rec(in + q * stride, out + q * m, m, stride * p, fi + 1);
  const int tstep = n_ / n;
  cfloat t[64];
  for (int k = 0; k < m; ++k) {
    for (int q = 0; q < p; ++q) t[q] = out[q * m + k] * tw_[size_t(q * k * tstep)];
    if (p == 2) {
      out[k] = t[0] + t[1];
      out[k + m] = t[0] - t[1];
    } else if (p == 4) {
      const cfloat a = t[0] + t[2], b = t[0] - t[2], c = t[1] + t[3], d = (t[1] - t[3]) * cfloat(0, -1);
      out[k] = a + c;
      out[k + m] = b + d;
      out[k + 2 * m] = a - c;
      out[k + 3 * m] = b - d;
    } else {
      // Generic radix-p DFT of t (p small); root exp(-2 pi i / p) = tw_[n_/p].
      for (int r = 0; r < p; ++r) {
        cfloat s = 0;
        for (int q = 0; q < p; ++q) s += t[q] * tw_[size_t(((q * r) % p) * (n_ / p))];
        out[k + r * m] = s;
      }
    }
  }
}

void Fft::forward(const cfloat* in, cfloat* out) const {
  for (int p : factors_)
    if (p > 64) {
      dft_naive(in, out, n_);  // large prime factor: plain DFT
      return;
    }
  rec(in, out, n_, 1, 0);
}

void dft_naive(const cfloat* in, cfloat* out, int n) {
  for (int k = 0; k < n; ++k) {
    cfloat s = 0;
    for (int j = 0; j < n; ++j) s += in[j] * std::polar(1.0, -2.0 * M_PI * double((int64_t(j) * k) % n) / double(n));
    out[k] = s;
  }
}

}  // namespace sotto::audio
