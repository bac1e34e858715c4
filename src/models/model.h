// model.h — a loaded decoder-only language model and its per-sequence state.
// Model::load reads the architecture from GGUF metadata (general.architecture) and builds the matching
// implementation (models/<arch>.cpp) on the given backend. The GgufFile must outlive the model on the
// CPU backend (weights are views into the mapping).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "models/config.h"

namespace sotto {

class GgufFile;

// Embedding rows that stand in for the token embeddings of positions [pos, pos + n) of one pass (image features
// at the <image> tokens of a vision-language prompt). rows: [n][n_embd] floats, used as given (no embedding scale).
struct EmbdSpan {
  int pos = 0;
  int n = 0;
  const float* rows = nullptr;
};

// Per-sequence state: the KV cache and how many positions it holds.
struct KvCache {
  std::vector<Tensor> k, v;  // per layer: {head_dim * n_head_kv, n_ctx}
  int n_ctx = 0;
  int n_past = 0;
};

class Model {
 public:
  virtual ~Model() = default;
  static std::unique_ptr<Model> load(const GgufFile& f, Backend& backend);  // throws Error

  virtual const ModelConfig& config() const = 0;
  // A cache for up to n_ctx positions (F16 or F32 entries).
  virtual KvCache new_cache(int n_ctx, DType type = DType::F16) const = 0;
  // Runs tokens at positions cache.n_past.. and appends them to the cache. Returns logits
  // {n_vocab} for the last token, or {n_vocab * n_tokens} for every token when all_logits.
  // Throws Error when the cache would overflow.
  virtual std::vector<float> forward(KvCache& cache, const int32_t* tokens, int n_tokens,
                                     bool all_logits = false) = 0;
  // forward() where the spans' positions take the given embedding rows instead of their tokens' embeddings (the
  // ids there must still be in range; they are not looked up). Spans lie inside [0, n_tokens) and do not overlap.
  // Models that cannot take embedding inputs throw Error.
  virtual std::vector<float> forward_embd(KvCache& cache, const int32_t* tokens, int n_tokens, const EmbdSpan* spans,
                                          int n_spans, bool all_logits = false);
  // The same pass without reading anything back: returns the backend tensor {n_vocab, 1} holding the
  // last token's logits (valid until the next forward). A GPU host samples it on the device.
  // Models that cannot return an empty tensor.
  virtual Tensor forward_device(KvCache& cache, const int32_t* tokens, int n_tokens) {
    (void)cache, (void)tokens, (void)n_tokens;
    return Tensor{};
  }
  // forward_device with rows over the token embeddings, as forward_embd (images spliced into a prompt on WebGPU).
  // Models that cannot return an empty tensor.
  virtual Tensor forward_device_embd(KvCache& cache, const int32_t* tokens, int n_tokens, const EmbdSpan* spans,
                                     int n_spans) {
    (void)cache, (void)tokens, (void)n_tokens, (void)spans, (void)n_spans;
    return Tensor{};
  }
  // The same pass with the token ids in an I32 tensor {n_tokens} of the model's backend (the device's argmax of
  // the step before), so the step is recorded before that token is read back. Ids are not checked on the host.
  virtual Tensor forward_device(KvCache& cache, const Tensor& ids) {
    (void)cache, (void)ids;
    return Tensor{};
  }
  // The same pass returning the last token's hidden state after the final norm ({n_embd}: what an embedding
  // model pools, e.g. Qwen3-Embedding's last-token pooling) instead of logits. Models that cannot throw Error.
  virtual std::vector<float> forward_hidden(KvCache& cache, const int32_t* tokens, int n_tokens);
  // Bytes of weights read per decoded token (for bandwidth reports).
  virtual size_t weight_bytes() const = 0;
};

}  // namespace sotto
