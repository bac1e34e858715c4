// embedder.cpp — texts to embeddings with a BERT GGUF. Contract: embedder.h.
#include "rag/embedder.h"

#include <algorithm>

#include "core/error.h"
#include "core/gguf.h"

namespace sotto::rag {

Embedder::Embedder(const GgufFile& f, Backend& be) {
  const std::string arch = f.get_string_or("general.architecture", "");
  if (!is_bert_file(f)) {
    if (arch.empty() || !f.has(arch + ".pooling_type")) {
      fail(f.path(), ": not an embedding model (general.architecture is '", arch,
           "', expected 'bert', or a decoder with ", arch.empty() ? "{arch}" : arch, ".pooling_type such as Qwen3-Embedding)");
    }
    const int64_t pt = f.get_int(arch + ".pooling_type");
    if (pt != int64_t(Pooling::Last)) {
      fail(f.path(), ": ", arch, ".pooling_type ", std::to_string(pt), " is not supported for a decoder (3, last token)");
    }
    decoder_ = Model::load(f, be);
    tok_ = Tokenizer::from_gguf(f);
    const ModelConfig& mc = decoder_->config();
    cfg_.n_vocab = mc.n_vocab;
    cfg_.n_embd = mc.n_embd;
    cfg_.n_ff = mc.n_ff;
    cfg_.n_layer = mc.n_layer;
    cfg_.n_head = mc.n_head;
    cfg_.n_ctx = mc.n_ctx_train;
    cfg_.norm_eps = mc.norm_eps;
    cfg_.pooling = Pooling::Last;
    add_eos_ = f.get_bool_or("tokenizer.ggml.add_eos_token", false);
    if (add_eos_ && tok_->eos() < 0) fail(f.path(), ": tokenizer.ggml.add_eos_token is set but there is no eos token");
    return;
  }
  const std::string tm = f.get_string_or("tokenizer.ggml.model", "");
  if (tm != "bert") {
    fail(f.path(), ": tokenizer.ggml.model is '", tm, "', expected 'bert' (a WordPiece vocabulary) for a BERT model");
  }
  tok_ = Tokenizer::from_gguf(f);
  model_ = BertModel::load(f, be);
  cfg_ = model_->config();
  if (tok_->n_vocab() != model_->config().n_vocab) {
    fail(f.path(), ": the vocabulary has ", std::to_string(tok_->n_vocab()), " tokens but token_embd.weight ",
         std::to_string(model_->config().n_vocab), " rows");
  }
}

std::vector<int32_t> Embedder::tokens(const std::string& text, size_t i, const EmbedOptions& o) const {
  std::vector<int32_t> ids = tok_->encode(text, !decoder_, false);
  if (ids.size() <= (decoder_ ? 0u : 2u)) fail("text ", std::to_string(i + 1), " is empty (no tokens after normalisation)");
  if (decoder_ && add_eos_) ids.push_back(tok_->eos());
  const size_t n_ctx = size_t(cfg_.n_ctx);
  if (ids.size() > n_ctx) {
    if (!o.truncate) {
      fail("text ", std::to_string(i + 1), " has ", std::to_string(ids.size()), " tokens, more than the model's context of ",
           std::to_string(n_ctx), " (split it, or cut it with --truncate)");
    }
    const size_t before = ids.size();
    const bool keep_last = !decoder_ || add_eos_;  // [SEP] / EOS stays the last token
    const int32_t last = ids.back();
    ids.resize(keep_last ? n_ctx - 1 : n_ctx);
    if (keep_last) ids.push_back(last);
    if (o.on_truncate) o.on_truncate(i, before, ids.size());
  }
  return ids;
}

std::vector<float> Embedder::embed(const std::vector<std::string>& texts, const EmbedOptions& o) {
  const Pooling pooling = o.pooling == Pooling::None ? cfg_.pooling : o.pooling;
  if (decoder_ && pooling != Pooling::Last) {
    fail("pooling ", pooling_name(pooling), " is not supported by a decoder embedder (last-token pooling only)");
  }
  std::vector<std::vector<int32_t>> all;
  all.reserve(texts.size());
  for (size_t i = 0; i < texts.size(); i++) all.push_back(tokens(texts[i], i, o));
  std::vector<float> out;
  out.reserve(texts.size() * size_t(cfg_.n_embd));
  if (decoder_) {  // one text a pass: causal attention over its own tokens
    for (const auto& ids : all) {
      KvCache cache = decoder_->new_cache(int(ids.size()), DType::F32);
      const std::vector<float> h = decoder_->forward_hidden(cache, ids.data(), int(ids.size()));
      const std::vector<float> e = pool_rows(h.data(), 1, cfg_.n_embd, Pooling::Cls, o.normalize);  // the one row
      out.insert(out.end(), e.begin(), e.end());
    }
    return out;
  }
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
