// config.cpp — dispatch of read_config() and the metadata every decoder family shares.
#include "models/config.h"

#include "core/error.h"
#include "core/gguf.h"
#include "models/decoder.h"

namespace sotto {

ModelConfig read_llama_config(const GgufFile& f);   // llama.cpp
ModelConfig read_qwen2_config(const GgufFile& f);   // qwen2.cpp
ModelConfig read_gemma3_config(const GgufFile& f);  // gemma3.cpp
ModelConfig read_qwen3_config(const GgufFile& f);   // qwen3.cpp

ModelConfig read_config(const GgufFile& f) {
  const std::string arch = f.get_string("general.architecture");
  if (arch == "llama") return read_llama_config(f);
  if (arch == "qwen2") return read_qwen2_config(f);
  if (arch == "gemma3") return read_gemma3_config(f);
  if (arch == "qwen3") return read_qwen3_config(f);
  fail(f.path(), ": unsupported architecture '", arch, "' (supported: llama, qwen2, gemma3, qwen3)");
}

ModelConfig read_common_config(const GgufFile& f, const std::string& arch) {
  ModelConfig c;
  c.arch_name = arch;
  auto key = [&](const char* k) { return arch + "." + k; };
  auto positive = [&](const char* k, int64_t v, int64_t max) {
    if (v <= 0 || v > max) {
      fail(f.path(), ": metadata ", key(k), " = ", std::to_string(v), " is out of range (1..", std::to_string(max), ")");
    }
    return int(v);
  };
  c.n_embd = positive("embedding_length", f.get_int(key("embedding_length")), 1 << 16);
  c.n_layer = positive("block_count", f.get_int(key("block_count")), 1024);
  c.n_ff = positive("feed_forward_length", f.get_int(key("feed_forward_length")), 1 << 20);
  c.n_head = positive("attention.head_count", f.get_int(key("attention.head_count")), 1024);
  c.n_head_kv = positive("attention.head_count_kv", f.get_int_or(key("attention.head_count_kv"), c.n_head), 1024);
  c.n_ctx_train = positive("context_length", f.get_int_or(key("context_length"), 4096), 1 << 24);
  if (c.n_ctx_train < kMinContext) {
    fail(f.path(), ": metadata ", key("context_length"), " = ", std::to_string(c.n_ctx_train), " is below the minimum of ",
         std::to_string(kMinContext), " tokens");
  }
  c.head_dim = positive("attention.key_length", f.get_int_or(key("attention.key_length"), c.n_embd / c.n_head), 4096);
  const int64_t v_len = f.get_int_or(key("attention.value_length"), c.head_dim);
  if (v_len != c.head_dim) {
    fail(f.path(), ": ", key("attention.value_length"), " (", std::to_string(v_len), ") differs from key_length (",
         std::to_string(c.head_dim), "): not supported");
  }
  if (c.n_head % c.n_head_kv != 0) {
    fail(f.path(), ": head_count ", std::to_string(c.n_head), " is not a multiple of head_count_kv ",
         std::to_string(c.n_head_kv));
  }
  c.norm_eps = float(f.get_float_or(key("attention.layer_norm_rms_epsilon"), 1e-5));
  c.rope_base = float(f.get_float_or(key("rope.freq_base"), 10000.0));
  c.n_rot = positive("rope.dimension_count", f.get_int_or(key("rope.dimension_count"), c.head_dim), c.head_dim);
  if (c.n_rot % 2 != 0) fail(f.path(), ": ", key("rope.dimension_count"), " must be even");
  const std::string scaling = f.get_string_or(key("rope.scaling.type"), "none");
  if (scaling == "linear") {
    c.rope_scale = float(f.get_float(key("rope.scaling.factor")));
    if (!(c.rope_scale > 0)) fail(f.path(), ": ", key("rope.scaling.factor"), " must be positive");
  } else if (scaling != "none" && scaling != "llama3") {
    fail(f.path(), ": unsupported ", key("rope.scaling.type"), " '", scaling, "'");
  }
  c.attn_scale = float(f.get_float_or(key("attention.scale"), 0.0));
  const GgufTensorInfo& emb = f.tensor(tn("token_embd"));
  c.n_vocab = int(emb.ne[1]);
  if (f.find(key("vocab_size"))) {  // optional; when present it must agree with the tensor
    const int64_t n = f.get_int(key("vocab_size"));
    if (n != c.n_vocab) {
      fail(f.path(), ": metadata ", key("vocab_size"), " = ", std::to_string(n), " differs from the ",
           std::to_string(c.n_vocab), " rows of ", tn("token_embd"));
    }
  }
  c.tied_embeddings = f.find_tensor(tn("output")) == nullptr;
  c.layer_swa.assign(size_t(c.n_layer), false);
  return c;
}

}  // namespace sotto
