// wav.h — read and write RIFF/WAVE audio.
// Reads: chunks in any order, unknown chunks skipped (odd sizes padded), fmt PCM (1) 8-bit unsigned and
// 16/24/32-bit signed, IEEE float (3) 32/64-bit, WAVE_FORMAT_EXTENSIBLE (0xFFFE) with a PCM or float subformat,
// any channel count and rate. Samples come out as float in [-1, 1], interleaved or downmixed to mono.
// Errors: every corrupt or unsupported file throws one-line sotto::Error naming the file. A data chunk shorter
// than its header says (a recording cut off mid-write) is NOT an error: the whole frames present are returned
// and `Wav::warning` says how much was missing. RF64/BW64 is not supported (the error says so).
// Writes: 16-bit PCM or 32-bit float. Does not: resample (resample.h), compressed codecs, cue/list metadata.
// Streaming: PcmDecoder turns raw data-chunk bytes into float samples fed in arbitrary pieces.
// Float samples that are NaN/Inf become 0 and magnitudes above 1 are clipped, with `Wav::warning` saying how
// many (a warning, not an error: a few bad samples should not cost the recording).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sotto::audio {

enum class SampleFormat { pcm_u8, pcm_s16, pcm_s24, pcm_s32, float32, float64 };

struct WavFormat {
  SampleFormat format = SampleFormat::pcm_s16;
  int n_channels = 0;
  int sample_rate = 0;
  int bits_per_sample = 0;  // container bits: 8, 16, 24, 32, 64
  int block_align = 0;      // bytes per frame = n_channels * bits / 8
};

struct Wav {
  WavFormat fmt;
  int n_channels = 0;          // channels in `samples` (1 after downmix)
  int sample_rate = 0;
  std::vector<float> samples;  // [n_frames, n_channels] interleaved
  std::string warning;         // non-empty when the file was truncated (samples present were kept) or float
                               // samples were repaired (NaN/Inf -> 0, |x| > 1 clipped); "; " between the two
  size_t n_frames() const { return n_channels ? samples.size() / n_channels : 0; }
};

// Parses a whole WAV held in memory; `name` is used in error messages.
Wav read_wav_memory(const uint8_t* data, size_t size, const std::string& name, bool downmix_mono = false);
// Reads the file whole, at most max_bytes (2 GiB by default: 18 hours of 16 kHz 16-bit mono); a larger file,
// or one that never ends, is an error naming the limit. A file that does not start with a RIFF/WAVE header
// is refused after its first bytes.
inline constexpr size_t kMaxWavBytes = size_t(1) << 31;
Wav read_wav(const std::string& path, bool downmix_mono = false, size_t max_bytes = kMaxWavBytes);

// Where the samples are. Works on a prefix of a file too (streaming: parse the first bytes, then feed the data
// chunk to a PcmDecoder as it arrives), provided fmt comes before data, as nearly all writers do.
struct WavLayout {
  WavFormat fmt;
  size_t data_offset = 0;           // byte offset of the first sample
  size_t data_size = 0;             // data bytes present in the buffer (clipped to the declared size)
  uint64_t declared_data_size = 0;  // what the data chunk header says
  std::string warning;              // set when data_size < declared_data_size or ends mid-frame
};
WavLayout parse_wav_layout(const uint8_t* data, size_t size, const std::string& name);

// Incremental decoder of a data chunk: feed bytes in any split, get whole frames as float.
class PcmDecoder {
 public:
  PcmDecoder(const WavFormat& fmt, bool downmix_mono);
  // Appends decoded samples ([frames, out_channels] interleaved) to `out`; keeps a partial frame for next call.
  void feed(const uint8_t* bytes, size_t n, std::vector<float>& out);
  size_t pending_bytes() const { return pending_.size(); }
  int out_channels() const { return downmix_ ? 1 : fmt_.n_channels; }
  // Float files may hold what no microphone gives: NaN/Inf samples are repaired to 0, magnitudes above 1
  // clipped to [-1, 1] (a 1e38 sample would otherwise dominate every mel frame around it). Counted here;
  // repair_warning() says how many ("" when none).
  uint64_t n_nonfinite() const { return n_nonfinite_; }
  uint64_t n_clipped() const { return n_clipped_; }
  std::string repair_warning(const std::string& name) const;

 private:
  void decode_frames(const uint8_t* p, size_t n_frames, std::vector<float>& out);
  WavFormat fmt_;
  bool downmix_;
  std::vector<uint8_t> pending_;
  uint64_t n_nonfinite_ = 0, n_clipped_ = 0;
};

enum class WavWriteFormat { pcm_s16, float32 };
// samples: [n_frames, n_channels] interleaved, float in [-1, 1]; pcm_s16 stores round(x * 32768) clipped.
std::vector<uint8_t> encode_wav(const float* samples, size_t n_frames, int n_channels, int sample_rate,
                                WavWriteFormat format);
void write_wav(const std::string& path, const float* samples, size_t n_frames, int n_channels, int sample_rate,
               WavWriteFormat format = WavWriteFormat::pcm_s16);

}  // namespace sotto::audio
