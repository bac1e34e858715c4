// resample.h — band-limited rational resampling (windowed-sinc polyphase, Kaiser window), mono float.
// Design: out/in reduced to L/M; one low-pass at min(in, out)/2 with passband edge 0.9 x that Nyquist, stopband
// from the Nyquist on, Kaiser window designed for `stopband_db` (default 90 dB, so >= 80 dB with margin).
// L <= 2048 uses a coefficient table [L, 2K]; larger L (odd rates such as 44101 Hz) computes each output's
// kernel on the fly (~15x slower, still ~50x real time; same response). The filter is zero-phase (centred), so output sample n sits at input time n * in/out: no delay to undo.
// Streaming: process() any chunk split, then flush(); the output is bit-identical to resample() in one shot
// and has ceil(n_in * out / in) samples. Equal rates pass samples through unchanged.
// Does not: multichannel (downmix or run one Resampler per channel), variable ratio.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sotto::audio {

struct ResamplerOptions {
  double stopband_db = 90.0;   // Kaiser design attenuation
  double passband_edge = 0.9;  // fraction of min Nyquist kept flat; transition ends at the Nyquist
};

class Resampler {
 public:
  Resampler(int in_rate, int out_rate, const ResamplerOptions& opt = {});
  // Appends the outputs that `x` (next n input samples) makes computable.
  void process(const float* x, size_t n, std::vector<float>& out);
  // Ends the stream (zeros past the end) and appends the remaining outputs.
  void flush(std::vector<float>& out);
  int taps_per_output() const { return 2 * half_; }
  int in_rate() const { return in_rate_; }
  int out_rate() const { return out_rate_; }

 private:
  void kernel_for_phase(int64_t phase, float* dst) const;       // exact (Bessel), for the table
  void fast_kernel_for_phase(int64_t phase, float* dst) const;  // per output when there is no table
  void run(std::vector<float>& out, int64_t limit_out);
  int in_rate_, out_rate_;
  int64_t L_ = 1, M_ = 1;   // out/in = L/M
  int half_ = 0;            // taps each side (K): output uses inputs i0-K+1 .. i0+K
  double fc_ = 0.5;         // cutoff in cycles per input sample
  double beta_ = 0.0;       // Kaiser beta
  bool passthrough_ = false;
  bool table_ = false;
  std::vector<float> coef_;  // [L, 2K] when table_
  std::vector<double> window_;  // Kaiser window table when !table_
  std::vector<float> buf_;   // input samples from absolute index buf_start_
  int64_t buf_start_ = 0;
  int64_t n_in_ = 0;         // real input samples seen
  int64_t n_out_ = 0;        // outputs produced
  bool flushed_ = false;
};

// One-shot convenience.
std::vector<float> resample(const float* x, size_t n, int in_rate, int out_rate, const ResamplerOptions& opt = {});

}  // namespace sotto::audio
