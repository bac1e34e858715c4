// config.h — model hyper-parameters as plain data. Differences between architectures are a few enums
// and fields here, not class hierarchies. Filled from GGUF metadata by read_config().
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sotto {

class GgufFile;

enum class Arch { Llama, Qwen2, Gemma3, Qwen3 };
enum class FfnAct { SiLU, GeluTanh };

// The shortest training context a decoder GGUF may declare (<arch>.context_length); below it a file is refused
// as corrupt rather than loaded into a model that cannot hold a prompt.
inline constexpr int kMinContext = 8;

struct ModelConfig {
  Arch arch = Arch::Llama;
  std::string arch_name;  // GGUF general.architecture
  int n_vocab = 0;
  int n_embd = 0;
  int n_layer = 0;
  int n_head = 0;
  int n_head_kv = 0;
  int head_dim = 0;       // attention.key_length, default n_embd / n_head
  int n_ff = 0;
  int n_ctx_train = 0;
  float norm_eps = 1e-5f;

  // RoPE
  int n_rot = 0;                  // rope.dimension_count, default head_dim
  bool rope_neox = false;         // Qwen2 and Gemma3 rotate halves; Llama GGUFs rotate adjacent pairs
  float rope_base = 10000.0f;
  float rope_base_swa = 10000.0f; // Gemma 3 sliding-window layers
  float rope_scale = 1.0f;        // linear scaling factor (positions divided by it), global layers
  bool has_rope_freqs = false;    // Llama 3 frequency scaling as the rope_freqs.weight tensor

  // Attention
  bool qkv_bias = false;          // Qwen2
  bool qk_norm = false;           // Gemma3, Qwen3: RMSNorm on q and k per head
  float attn_scale = 0.0f;        // 0 = 1/sqrt(head_dim)
  int sliding_window = 0;
  std::vector<bool> layer_swa;    // per layer: uses the sliding window (Gemma3 5 local : 1 global)

  // Block
  bool post_norms = false;        // Gemma3: post_attention_norm and post_ffw_norm
  FfnAct act = FfnAct::SiLU;
  float embd_scale = 1.0f;        // Gemma: sqrt(n_embd)
  bool tied_embeddings = false;   // no output.weight: the LM head is token_embd
};

// Reads and validates the config of a supported architecture; throws Error naming the file and key.
ModelConfig read_config(const GgufFile& f);

}  // namespace sotto
