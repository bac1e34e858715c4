// embedder.cpp — texts to embeddings with a BERT GGUF. Contract: embedder.h.
#include "rag/embedder.h"

#include <algorithm>

#include "core/error.h"
#include "core/gguf.h"

namespace sotto::rag {

Embedder::Embedder(const GgufFile& f, Backend& be) {
  read_bert_config(f);  // "not a BERT embedding model" before anything else
  const std::string tm = f.get_string_or("tokenizer.ggml.model", "");
  if (tm != "bert") {
    fail(f.path(), ": tokenizer.ggml.model is '", tm, "', expected 'bert' (a WordPiece vocabulary) for a BERT model");
  }
  tok_ = Tokenizer::from_gguf(f);
  model_ = BertModel::load(f, be);
  if (tok_->n_vocab() != model_->config().n_vocab) {
    fail(f.path(), ": the vocabulary has ", std::to_string(tok_->n_vocab()), " tokens but token_embd.weight ",
         std::to_string(model_->config().n_vocab), " rows");
  }
}

std::vector<int32_t> Embedder::tokens(const std::string& text, size_t i, const EmbedOptions& o) const {
  std::vector<int32_t> ids = tok_->encode(text, true, false);
  if (ids.size() <= 2) fail("text ", std::to_string(i + 1), " is empty (no tokens after normalisation)");
  const size_t n_ctx = size_t(config().n_ctx);
  if (ids.size() > n_ctx) {
    if (!o.truncate) {
      fail("text ", std::to_string(i + 1), " has ", std::to_string(ids.size()), " tokens, more than the model's context of ",
           std::to_string(n_ctx), " (split it, or cut it with --truncate)");
    }
    const size_t before = ids.size();
    const int32_t sep = ids.back();
    ids.resize(n_ctx - 1);
    ids.push_back(sep);
    if (o.on_truncate) o.on_truncate(i, before, ids.size());
  }
  return ids;
}

std::vector<float> Embedder::embed(const std::vector<std::string>& texts, const EmbedOptions& o) {
  const Pooling pooling = o.pooling == Pooling::None ? config().pooling : o.pooling;
  std::vector<std::vector<int32_t>> all;
  all.reserve(texts.size());
  for (size_t i = 0; i < texts.size(); i++) all.push_back(tokens(texts[i], i, o));
  std::vector<float> out;
  out.reserve(texts.size() * size_t(config().n_embd));
  std::vector<std::vector<int32_t>> batch;
  size_t n_tok = 0;
  auto flush = [&] {
    if (batch.empty()) return;
    const std::vector<float> e = model_->embed(batch, pooling, o.normalize);
    out.insert(out.end(), e.begin(), e.end());
    batch.clear();
    n_tok = 0;
  };
  for (auto& ids : all) {
    if (!batch.empty() && n_tok + ids.size() > size_t(std::max(o.batch_tokens, 1))) flush();
    n_tok += ids.size();
    batch.push_back(std::move(ids));
  }
  flush();
  return out;
}

}  // namespace sotto::rag
