// fuzz-wav.cpp — libFuzzer target: the WAV reader (audio/wav.h) on arbitrary bytes, as a whole file
// (read_wav_memory, interleaved and downmixed) and as a stream (parse_wav_layout, then the data chunk fed to a
// PcmDecoder in pieces whose sizes come from the input itself).
// Properties: every sample is finite and within [-1, 1]; the layout lies inside the buffer; the frame count
// is the data size over the block size; decoding in pieces gives exactly the samples of decoding at once.
#include <cmath>
#include <cstring>
#include <vector>

#include "audio/wav.h"
#include "core/error.h"
#include "fuzz.h"

using namespace sotto;
using namespace sotto::audio;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  for (bool mono : {false, true}) {
    try {
      const Wav w = read_wav_memory(data, size, "fuzz.wav", mono);
      FUZZ_CHECK(w.n_channels >= 1 && (!mono || w.n_channels == 1));
      FUZZ_CHECK(w.samples.size() % size_t(w.n_channels) == 0);
      for (float x : w.samples) FUZZ_CHECK(std::isfinite(x) && x >= -1.0f && x <= 1.0f);
    } catch (const Error&) {
    }
  }
  try {
    const WavLayout lay = parse_wav_layout(data, size, "fuzz.wav");
    FUZZ_CHECK(lay.fmt.block_align > 0 && lay.fmt.n_channels > 0);
    FUZZ_CHECK(lay.data_offset <= size && lay.data_size <= size - lay.data_offset);
    const uint8_t* d = data + lay.data_offset;
    PcmDecoder whole(lay.fmt, false);
    std::vector<float> a;
    whole.feed(d, lay.data_size, a);
    FUZZ_CHECK(a.size() == lay.data_size / size_t(lay.fmt.block_align) * size_t(lay.fmt.n_channels));
    PcmDecoder pieces(lay.fmt, false);
    std::vector<float> b;
    size_t k = 0, step = 0;
    while (k < lay.data_size) {
      const size_t n = std::min(lay.data_size - k, size_t(1 + data[step++ % size] % 13));
      pieces.feed(d + k, n, b);
      k += n;
    }
    FUZZ_CHECK(a.size() == b.size());
    FUZZ_CHECK(a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
    FUZZ_CHECK(pieces.pending_bytes() == lay.data_size % size_t(lay.fmt.block_align));
  } catch (const Error&) {
  }
  return 0;
}
