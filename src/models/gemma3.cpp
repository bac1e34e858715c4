// gemma3.cpp — Gemma 3 text decoder (GGUF architecture "gemma3").
// Differences from Llama, all as config: RMSNorm on q and k per head; norms after attention and after the
// FFN as well as before; GELU-tanh gated FFN; the embedding scaled by sqrt(n_embd); five sliding-window
// layers for each global one (layer i is global when i % 6 == 5), local layers with RoPE base 10000
// (or {arch}.rope.freq_base_swa) and global layers with rope.freq_base and optional linear scaling;
// neox RoPE. GGUF files store the Gemma norm weights already as (1 + w), so plain RMSNorm applies.
#include <cmath>

#include "core/error.h"
#include "core/gguf.h"
#include "models/decoder.h"

namespace sotto {

ModelConfig read_gemma3_config(const GgufFile& f) {
  ModelConfig c = read_common_config(f, "gemma3");
  c.arch = Arch::Gemma3;
  c.rope_neox = true;
  c.qk_norm = true;
  c.post_norms = true;
  c.act = FfnAct::GeluTanh;
  c.embd_scale = std::sqrt(float(c.n_embd));
  c.norm_eps = float(f.get_float_or("gemma3.attention.layer_norm_rms_epsilon", 1e-6));
  c.rope_base = float(f.get_float_or("gemma3.rope.freq_base", 1000000.0));
  c.rope_base_swa = float(f.get_float_or("gemma3.rope.freq_base_swa", 10000.0));
  c.sliding_window = int(f.get_int_or("gemma3.attention.sliding_window", 512));
  if (c.sliding_window <= 0) fail(f.path(), ": gemma3.attention.sliding_window must be positive");
  for (int i = 0; i < c.n_layer; i++) c.layer_swa[size_t(i)] = (i % 6) != 5;
  return c;
}

}  // namespace sotto
