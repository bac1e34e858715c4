// embedder.h — text -> embedding vectors with a BERT-family GGUF (models/bert.h) and its WordPiece tokenizer: the
// piece of private retrieval (issue 21) that `sotto embed` runs today, and that indexing will call.
// Each text becomes [CLS] + its pieces + [SEP] (special tokens written in the text are plain text); texts are run in
// batches of at most batch_tokens tokens (one text per batch when it alone is longer), which does not change results.
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
  // f must be a BERT embedding GGUF with a "bert" tokenizer, else a one-line Error; f and be outlive the embedder.
  Embedder(const GgufFile& f, Backend& be);
  const BertConfig& config() const { return model_->config(); }
  const Tokenizer& tokenizer() const { return *tok_; }
  // [CLS] pieces [SEP] of text i (i names it in errors), checked against the context as the options say.
  std::vector<int32_t> tokens(const std::string& text, size_t i, const EmbedOptions& o) const;
  // [texts.size()][n_embd] row-major.
  std::vector<float> embed(const std::vector<std::string>& texts, const EmbedOptions& o);

 private:
  std::unique_ptr<BertModel> model_;
  std::unique_ptr<Tokenizer> tok_;
};

}  // namespace rag
}  // namespace sotto
