// speaker.h — the small speaker-embedding model ("sotto-speaker", trained by tools/train/speaker.py; reference
// tools/ref/speaker_ref.py): log-mel frames -> a few Conv1d + GELU blocks -> mean and standard deviation of each
// channel over time -> Linear -> L2-normalised embedding. Two stretches of speech by one voice give embeddings with a
// high cosine; runtime/speakers.h turns that into speaker labels.
// GGUF layout (docs/asr.md, "Speakers"): speaker.n_mels, speaker.block_count, speaker.conv_strides,
// speaker.embedding_length, speaker.pool_eps; conv.N.weight {K * C_in, C_out} ([C_out][K][C_in], as Backend::conv1d),
// conv.N.bias {C_out}, embd.weight {2 C, D}, embd.bias {D}. Padding is K / 2 (odd K).
// Does not: compute the log-mel (runtime/speakers.cpp does, with audio/mel.h), segment or cluster.
#pragma once

#include <string>
#include <vector>

#include "backend/backend.h"

namespace sotto {

class GgufFile;

struct SpeakerConfig {
  int n_mels = 80;
  int n_embd = 0;                  // embedding dimensions D
  std::vector<int> channels;       // C_out of each conv block
  std::vector<int> kernels;        // K of each block (odd)
  std::vector<int> strides;        // stride of each block
  float pool_eps = 1e-5f;
};

class SpeakerModel {
 public:
  // Reads and checks the model; one-line errors naming the file (not a speaker model, bad shapes or metadata).
  // The GgufFile must outlive the model (weights are views).
  SpeakerModel(const GgufFile& f, Backend& be);
  static bool is_speaker_model(const GgufFile& f);
  const SpeakerConfig& config() const { return c_; }
  // The embedding (unit L2 norm, config().n_embd values) of log-mel frames mel [n_frames][n_mels] (n_mels innermost).
  std::vector<float> embed_mel(const float* mel, int n_frames) const;

 private:
  struct Block {
    Tensor w, b;
  };
  SpeakerConfig c_;
  Backend& be_;
  std::vector<Block> convs_;
  Tensor embd_w_, embd_b_;
};

}  // namespace sotto
