// embedder.h — text -> embedding vectors: the piece of private retrieval (issue 21) that `sotto embed` runs today, and
// that indexing will call. Two kinds of embedding GGUF:
//   BERT family (models/bert.h, WordPiece): each text becomes [CLS] + its pieces + [SEP]; texts run in batches of at
//     most batch_tokens tokens (one text per batch when it alone is longer), which does not change results;
//   decoder-based (Qwen3-Embedding: a decoder architecture of models/config.h whose file has {arch}.pooling_type 3,
//     last token): the text's tokens, + the EOS token when tokenizer.ggml.add_eos_token is true; one text a pass
//     (causal attention), the last token's final-normed hidden state (Model::forward_hidden).
// Special tokens written in the text are plain text. Instructions (Qwen3-Embedding's "Instruct: ...\nQuery:" for
// queries) are the caller's to prepend.
// Texts over the model's context are refused (Error naming the text, its token count and the limit) unless truncate
// is set: then its pieces are cut so that [CLS] ... [SEP] fills the context, and on_truncate is told.
// Empty texts (no pieces after normalisation: "", whitespace, control characters only) are refused.
// Does not: split documents into chunks (ingestion, to come), store or search vectors.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "models/bert.h"
#include "models/model.h"
#include "text/tokenizer.h"

namespace sotto {

class GgufFile;

namespace rag {

struct EmbedOptions {
  Pooling pooling = Pooling::None;  // None: the model's own (bert.pooling_type)
  bool normalize = true;            // L2
  bool truncate = false;
  int batch_tokens = 2048;
  // Called for each text cut to the context: (index, tokens before, tokens after).
  std::function<void(size_t, size_t, size_t)> on_truncate;
};

class Embedder {
 public:
  // f must be an embedding GGUF of either kind with its tokenizer, else a one-line Error; f and be outlive it.
  Embedder(const GgufFile& f, Backend& be);
  // The BERT config; for a decoder the fields that apply (n_vocab, n_embd, n_ff, n_layer, n_head, n_ctx, norm_eps,
  // pooling Last).
  const BertConfig& config() const { return cfg_; }
  int n_embd() const { return cfg_.n_embd; }
  int n_ctx() const { return cfg_.n_ctx; }
  Pooling pooling() const { return cfg_.pooling; }  // the model's own
  bool is_decoder() const { return decoder_ != nullptr; }
  const Tokenizer& tokenizer() const { return *tok_; }
  // [CLS] pieces [SEP] of text i (i names it in errors), checked against the context as the options say.
  std::vector<int32_t> tokens(const std::string& text, size_t i, const EmbedOptions& o) const;
  // [texts.size()][n_embd] row-major.
  std::vector<float> embed(const std::vector<std::string>& texts, const EmbedOptions& o);

 private:
  std::unique_ptr<BertModel> model_;
  std::unique_ptr<Model> decoder_;
  std::unique_ptr<Tokenizer> tok_;
  BertConfig cfg_;
  bool add_eos_ = false;
};

}  // namespace rag
}  // namespace sotto
