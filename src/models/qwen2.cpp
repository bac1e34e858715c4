// qwen2.cpp — Qwen2 / Qwen2.5 (GGUF architecture "qwen2"): neox RoPE, biases on Q, K and V, usually tied
// embeddings at small sizes.
#include "core/gguf.h"
#include "models/decoder.h"

namespace sotto {

ModelConfig read_qwen2_config(const GgufFile& f) {
  ModelConfig c = read_common_config(f, "qwen2");
  c.arch = Arch::Qwen2;
  c.rope_neox = true;
  c.qkv_bias = true;
  c.act = FfnAct::SiLU;
  return c;
}

}  // namespace sotto
