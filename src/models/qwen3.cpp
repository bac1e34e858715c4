// qwen3.cpp — Qwen3 (GGUF architecture "qwen3"; Qwen3-Embedding's decoder): Qwen2 without the Q/K/V biases and
// with RMSNorm on q and k per head (attn_q_norm, attn_k_norm) before RoPE; neox RoPE; tied embeddings at small sizes.
#include "core/gguf.h"
#include "models/decoder.h"

namespace sotto {

ModelConfig read_qwen3_config(const GgufFile& f) {
  ModelConfig c = read_common_config(f, "qwen3");
  c.arch = Arch::Qwen3;
  c.rope_neox = true;
  c.qk_norm = true;
  c.act = FfnAct::SiLU;
  return c;
}

}  // namespace sotto
