// mel.h — Whisper's log-mel front end: 16 kHz mono, n_fft 400, hop 160, periodic Hann, STFT with centre
// reflect padding (n_fft/2 each side), power spectrum, Slaney mel filterbank (librosa htk=False, norm='slaney',
// 0..8000 Hz), log10(max(x, 1e-10)), clamp to (global max - 8), then (x + 4) / 4.
// Frames: like Whisper, the last STFT frame is dropped, so n_frames = n_samples / hop (integer division).
// Does not: pad to 30 s (Whisper's caller pads with 480000 zeros; do it before calling if you want that),
// resample (resample.h). Needs n_samples > n_fft/2 for reflect padding (as torch.stft); else throws.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace sotto::audio {

struct MelOptions {
  int sample_rate = 16000;
  int n_fft = 400;
  int hop = 160;
  int n_mels = 80;  // 80 (Whisper tiny..large-v2) or 128 (large-v3)
};

// Slaney-style filterbank, [n_mels, n_fft/2 + 1] row-major.
std::vector<float> mel_filterbank(const MelOptions& opt);

struct LogMel {
  int n_mels = 0;
  int n_frames = 0;
  std::vector<float> data;  // [n_mels, n_frames] row-major (Whisper layout)
};

// Plan once (window, filterbank, FFT), run on many clips.
class MelSpectrogram {
 public:
  explicit MelSpectrogram(const MelOptions& opt = {});
  LogMel compute(const float* samples, size_t n) const;  // samples: [n] mono at opt.sample_rate
  // Power spectrum of the frames before mel: [n_frames, n_fft/2+1]; exposed for tests.
  std::vector<float> power(const float* samples, size_t n, int& n_frames) const;
  const MelOptions& options() const { return opt_; }

 private:
  MelOptions opt_;
  std::vector<double> window_;   // [n_fft]
  std::vector<float> filters_;   // [n_mels, n_bins]
  std::vector<std::pair<int, int>> band_;  // [n_mels] nonzero bin range [first, second) of each filter
};

}  // namespace sotto::audio
