// llama.cpp — Llama 3.2 and SmolLM2 (GGUF architecture "llama").
// GGUF files of this architecture store Q and K rows permuted for adjacent-pair RoPE, so rope is not neox.
// Llama 3 frequency scaling arrives as the rope_freqs.weight tensor (n_rot/2 divisors), read by the decoder.
#include "core/gguf.h"
#include "models/decoder.h"

namespace sotto {

ModelConfig read_llama_config(const GgufFile& f) {
  ModelConfig c = read_common_config(f, "llama");
  c.arch = Arch::Llama;
  c.rope_neox = false;
  c.act = FfnAct::SiLU;
  c.has_rope_freqs = f.find_tensor(tn("rope_freqs")) != nullptr;
  c.qkv_bias = f.find_tensor(tn("attn_q", 0, "bias")) != nullptr;
  return c;
}

}  // namespace sotto
