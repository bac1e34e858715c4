// fft.h — small complex FFT of any length (mixed radix 2/3/4/5 + generic odd factors), planned once, reused.
// Used by the mel front end (n_fft = 400 = 4*4*5*5). dft_naive() is the plain reference twin for tests.
// Does not: in-place real-input tricks, SIMD, threads.
#pragma once

#include <complex>
#include <cstddef>
#include <vector>

namespace sotto::audio {

using cfloat = std::complex<double>;

class Fft {
 public:
  explicit Fft(int n);
  int size() const { return n_; }
  // Forward transform X[k] = sum x[j] exp(-2 pi i jk/n); in and out must not alias. [n] -> [n]
  void forward(const cfloat* in, cfloat* out) const;

 private:
  void rec(const cfloat* in, cfloat* out, int n, int stride, size_t fi) const;
  int n_;
  std::vector<int> factors_;
  std::vector<cfloat> tw_;  // exp(-2 pi i k / n), k < n
};

void dft_naive(const cfloat* in, cfloat* out, int n);

}  // namespace sotto::audio
