// asr-model.h — a loaded encoder-decoder speech recognition model (Moonshine, Whisper) and its
// per-utterance state. AsrModel::load reads general.architecture and builds the matching implementation
// (models/moonshine.cpp, models/whisper.cpp) on the given backend; the GgufFile must outlive the model (weights are views).
// The model maps 16 kHz mono samples in [-1, 1] to encoder states, then token ids to logits. It does not
// tokenize, sample, segment audio or stream: that is runtime/transcribe.h.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backend/backend.h"

namespace sotto {

class GgufFile;

struct AsrConfig {
  std::string arch_name;        // general.architecture
  int n_vocab = 0;
  int n_embd = 0;
  int n_ff = 0;
  int n_enc_layer = 0, n_dec_layer = 0;
  int n_enc_head = 0, n_dec_head = 0;
  int enc_n_rot = 0, dec_n_rot = 0;  // partial RoPE: rotated dims of each head (adjacent pairs)
  float rope_base = 10000.0f;
  float norm_eps = 1e-5f;
  int n_ctx = 0;                     // most decoder positions
  int32_t decoder_start = 1;         // first decoder token
  float max_tokens_per_second = 6.5f;  // decode cap: tokens per second of audio; 0 = only the context limits it
  int sample_rate = 16000;
  int n_mels = 0;                    // 0: raw samples in (Moonshine); else log-mel bins (Whisper: encode_mel)
  int n_mel_frames = 0;              // Whisper: mel frames the encoder takes, exactly (3000 = 30 s)
};

// Per utterance: the decoder's self-attention cache and the cross-attention keys and values of the encoded audio.
struct AsrState {
  std::vector<Tensor> self_k, self_v;    // per decoder layer: {n_embd, n_ctx}
  std::vector<Tensor> cross_k, cross_v;  // per decoder layer: {n_embd, n_frames}
  Tensor enc;                            // encoder output {n_embd, n_frames}
  int n_ctx = 0;
  int n_past = 0;
  int n_frames = 0;
  // The decoder's activations for steps of scratch_n tokens, kept between steps so a GPU backend reuses its
  // buffers and bind groups (models/*.cpp own the layout; the logits of the last step live here until the next).
  std::vector<Tensor> scratch;
  int scratch_n = 0;
};

class Backend;
// A state for n_ctx decoder positions (1..c.n_ctx, else an error): zeroed F32 self-attention caches on `be`, one
// pair per decoder layer; encode() fills the cross-attention keys and values. Shared by the speech models.
AsrState new_asr_state(Backend& be, const AsrConfig& c, int n_ctx);
// The weight `name` of f, checked (present, shape ne, a type `be` supports for `op`, f32 unless a matrix of
// MatMul/Conv1d/GetRows) and made usable by `be`; a one-line error naming the file and tensor otherwise.
Tensor load_asr_weight(const GgufFile& f, Backend& be, const std::string& name, Shape ne, Op op);

class AsrModel {
 public:
  virtual ~AsrModel() = default;
  static std::unique_ptr<AsrModel> load(const GgufFile& f, Backend& backend);  // throws Error

  virtual const AsrConfig& config() const = 0;
  // A state whose decoder holds up to n_ctx positions (at most config().n_ctx).
  virtual AsrState new_state(int n_ctx) const = 0;
  // Fewest samples encode() accepts (shorter audio must be zero-padded by the caller).
  virtual int64_t min_samples() const = 0;
  // Encoder frames for n samples.
  virtual int n_frames(int64_t n_samples) const = 0;
  // Encodes samples; fills st.enc and the cross-attention K/V, and empties the decoder cache (n_past = 0).
  // Models with n_mels > 0 throw: their caller computes the log-mel and calls encode_mel.
  virtual void encode(AsrState& st, const float* pcm, int64_t n) = 0;
  // The same from log-mel features [n_frames][n_mels] (n_mels innermost); n_frames must be config().n_mel_frames.
  virtual void encode_mel(AsrState& st, const float* mel, int n_frames);
  // Runs tokens at positions st.n_past.. against the encoded audio; returns logits {n_vocab} of the last
  // token, or of every token when all_logits. Throws Error when the cache would overflow.
  std::vector<float> decode(AsrState& st, const int32_t* tokens, int n, bool all_logits = false);
  // The same, leaving the logits on the backend: F32 {n_vocab, 1} (or {n_vocab, n} when all_logits). Nothing is
  // read back, so a GPU backend can compute the argmax there and read 4 bytes.
  virtual Tensor decode_device(AsrState& st, const int32_t* tokens, int n, bool all_logits = false) = 0;
  // The backend the model runs on.
  virtual Backend& backend() const = 0;
};

}  // namespace sotto
