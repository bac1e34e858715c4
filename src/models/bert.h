// bert.h — the BERT encoder family as text embedding models (all-MiniLM-L6-v2, bge-small-en-v1.5 shapes) on the
// Backend interface, loaded from a GGUF with the keys and tensor names llama.cpp's converter writes (arch "bert";
// docs/retrieval.md):
//   x = LN_embd(token_embd[id] + position_embd[pos] + token_types[0])        pos = 0.. within each text
//   per layer (post-LayerNorm):
//     x = LN_attn_out(x + attn_output(attention(attn_q x, attn_k x, attn_v x)))   [no mask inside one text; biases]
//     x = LN_layer_out(x + ffn_down(gelu_erf(ffn_up x)))
//   pooled = x[0] ([CLS], pooling CLS) or the mean over the text's tokens (MEAN) or x[last] (LAST); then L2-normalised
//                                                                              -> [n_embd] a text
// A batch of texts runs as one packed sequence of all their tokens: every matrix product spans the batch, attention
// runs text by text over that text's rows only, so no padding exists and a text's embedding does not depend on
// the other texts of its batch.
// Does not: tokenize (text/tokenizer.h: tokenizer.ggml.model "bert"), truncate or split long texts (apps/rag), take
// token type 1 (pair inputs), run rank/classifier heads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backend/backend.h"

namespace sotto {

class GgufFile;

// llama.cpp's pooling_type values.
enum class Pooling { None = 0, Mean = 1, Cls = 2, Last = 3 };
const char* pooling_name(Pooling p);  // "none", "mean", "cls", "last"

struct BertConfig {
  int n_vocab = 0;        // token_embd rows
  int n_embd = 0;         // bert.embedding_length (384)
  int n_ff = 0;           // bert.feed_forward_length (1536)
  int n_layer = 0;        // bert.block_count (6 MiniLM-L6, 12 bge-small)
  int n_head = 0;         // bert.attention.head_count (12)
  int n_ctx = 0;          // bert.context_length: position_embd rows (512)
  int n_token_types = 0;  // token_types rows (2)
  float norm_eps = 1e-12f;              // bert.attention.layer_norm_epsilon
  Pooling pooling = Pooling::Cls;       // bert.pooling_type (the model's own; absent: CLS)
};

// True when f is a BERT encoder file (general.architecture "bert").
bool is_bert_file(const GgufFile& f);
// Reads and checks the config (no weights): a one-line error naming the file and key otherwise.
BertConfig read_bert_config(const GgufFile& f);

class BertModel {
 public:
  // Checks every weight (name, shape, a type the backend supports) and makes it usable by `be`; f must outlive it.
  static std::unique_ptr<BertModel> load(const GgufFile& f, Backend& be);
  virtual ~BertModel() = default;
  virtual const BertConfig& config() const = 0;
  // Embeddings of a batch of token-id sequences (each already with [CLS] ... [SEP], 1..n_ctx ids, ids < n_vocab,
  // else an Error): [n_texts][n_embd], pooled as asked, L2-normalised when normalize.
  virtual std::vector<float> embed(const std::vector<std::vector<int32_t>>& texts, Pooling pooling, bool normalize) = 0;
  // The last layer's output for every token of the batch: [n_tokens_total][n_embd], texts one after another.
  virtual std::vector<float> hidden(const std::vector<std::vector<int32_t>>& texts) = 0;
};

// Pools the rows [n_tok][n_embd] of one text as p says (None: an Error), then L2-normalises when normalize.
std::vector<float> pool_rows(const float* rows, int n_tok, int n_embd, Pooling p, bool normalize);

}  // namespace sotto
