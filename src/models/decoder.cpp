// decoder.cpp — see decoder.h. Weights are checked (name, shape, dtype support) once at load; a forward
// pass only issues backend ops on preallocated scratch tensors.
#include "models/decoder.h"

#include <cmath>

#include "core/error.h"
#include "core/gguf.h"

namespace sotto {

std::string tn(const std::string& base, int layer, const char* suffix) {
  std::string s = layer >= 0 ? "blk." + std::to_string(layer) + "." + base : base;
  return s + "." + suffix;
}

namespace {

struct LayerWeights {
  Tensor attn_norm, wq, wk, wv, wo, bq, bk, bv, q_norm, k_norm, post_attn_norm;
  Tensor ffn_norm, w_gate, w_up, w_down, post_ffn_norm;
};

// Activations for up to `cap` tokens; views of the first n rows are used for a pass of n tokens.
struct Scratch {
  int cap = 0;
  Tensor x, h, q, k, v, attn, o, gate, up, logits;
};

class Decoder final : public Model {
 public:
  Decoder(const GgufFile& f, Backend& be, const ModelConfig& cfg) : f_(f), be_(be), cfg_(cfg) { load(); }

  const ModelConfig& config() const override { return cfg_; }
  size_t weight_bytes() const override { return weight_bytes_; }

  KvCache new_cache(int n_ctx, DType type) const override {
    if (n_ctx <= 0) fail("context size must be positive, got ", std::to_string(n_ctx));
    if (type != DType::F16 && type != DType::F32) fail("KV cache type must be f16 or f32");
    KvCache c;
    c.n_ctx = n_ctx;
    const int64_t row = int64_t(cfg_.head_dim) * cfg_.n_head_kv;
    for (int l = 0; l < cfg_.n_layer; l++) {
      c.k.push_back(be_.alloc(type, {row, n_ctx, 1, 1}));
      c.v.push_back(be_.alloc(type, {row, n_ctx, 1, 1}));
    }
    return c;
  }

  std::vector<float> forward(KvCache& cache, const int32_t* tokens, int n, bool all_logits) override;
  std::vector<float> forward_embd(KvCache& cache, const int32_t* tokens, int n, const EmbdSpan* spans, int n_spans,
                                  bool all_logits) override;
  std::vector<float> forward_hidden(KvCache& cache, const int32_t* tokens, int n) override;
  Tensor forward_device(KvCache& cache, const int32_t* tokens, int n) override { return run(cache, tokens, n, false); }
  Tensor forward_device_embd(KvCache& cache, const int32_t* tokens, int n, const EmbdSpan* spans, int n_spans) override {
    return run(cache, tokens, n, false, nullptr, spans, n_spans);
  }
  Tensor forward_device(KvCache& cache, const Tensor& ids) override {
    return run(cache, nullptr, int(ids.nelements()), false, &ids);
  }

 private:
  // Loads a tensor, checking its shape and that the backend can run `op` with its dtype.
  Tensor weight(const std::string& name, Shape ne, Op op, bool required = true) {
    const GgufTensorInfo* t = f_.find_tensor(name);
    if (!t) {
      if (required) fail(f_.path(), ": missing tensor ", name);
      return Tensor{};
    }
    if (t->ne != ne) {
      fail(f_.path(), ": tensor ", name, " has shape ", shape_str(t->ne), ", expected ", shape_str(ne));
    }
    if (!be_.supports(op, t->type)) {
      fail(f_.path(), ": tensor ", name, " has type ", dtype_name(t->type), ", which the ", be_.name(),
           " backend cannot use here");
    }
    if (op == Op::MatMul) weight_bytes_ += t->view.nbytes();
    return t->view.data ? be_.upload(t->view) : be_.upload_file(t->view, t->file_offset);
  }
  Tensor norm(const std::string& name, int64_t n, bool required = true) {
    const GgufTensorInfo* t = f_.find_tensor(name);
    if (t && t->type != DType::F32) fail(f_.path(), ": norm tensor ", name, " must be f32, is ", dtype_name(t->type));
    return weight(name, {n, 1, 1, 1}, Op::RmsNorm, required);
  }

  void load();
  void ensure_scratch(int n, bool all_logits);
  // What layer() and layer_fused() share: Gemma's per-head q/k norms, layer il's RoPE and attention settings.
  void qk_norm(const LayerWeights& L, const Tensor& q, const Tensor& k, int n);
  RopeParams rope_params(int il) const;
  AttnParams attn_params(int il) const;
  void layer(int il, KvCache& cache, int n);
  void layer_fused(int il, KvCache& cache, int n);  // the same through the backend's fused steps
  // Logits on the backend; the tokens from host memory, or from dev_ids on the backend where tokens is null.
  // spans: rows written over the token embeddings before the first layer (forward_embd).
  Tensor run(KvCache& cache, const int32_t* tokens, int n, bool all_logits, const Tensor* dev_ids = nullptr,
             const EmbdSpan* spans = nullptr, int n_spans = 0);
  // run() up to the last layer's output (s_.x rows [0, n)), without the final norm and LM head.
  void run_layers(KvCache& cache, const int32_t* tokens, int n, bool all_logits, const Tensor* dev_ids,
                  const EmbdSpan* spans, int n_spans);

  const GgufFile& f_;
  Backend& be_;
  ModelConfig cfg_;
  Tensor tok_embd_, output_norm_, output_;
  std::vector<LayerWeights> layers_;
  std::vector<float> rope_freqs_;
  Scratch s_;
  size_t weight_bytes_ = 0;
};

void Decoder::load() {
  const ModelConfig& c = cfg_;
  const int64_t e = c.n_embd, q_dim = int64_t(c.head_dim) * c.n_head, kv_dim = int64_t(c.head_dim) * c.n_head_kv;
  {
    const GgufTensorInfo& t = f_.tensor(tn("token_embd"));
    if (!be_.supports(Op::GetRows, t.type)) {
      fail(f_.path(), ": token_embd.weight type ", dtype_name(t.type), " is not supported by ", be_.name());
    }
  }
  tok_embd_ = weight(tn("token_embd"), {e, c.n_vocab, 1, 1}, c.tied_embeddings ? Op::MatMul : Op::GetRows);
  output_norm_ = norm(tn("output_norm"), e);
  output_ = c.tied_embeddings ? tok_embd_ : weight(tn("output"), {e, c.n_vocab, 1, 1}, Op::MatMul);
  if (c.has_rope_freqs) {
    const GgufTensorInfo& t = f_.tensor(tn("rope_freqs"));
    if (t.type != DType::F32 || t.ne != Shape{c.n_rot / 2, 1, 1, 1}) {
      fail(f_.path(), ": rope_freqs.weight must be f32 of shape [", std::to_string(c.n_rot / 2), "]");
    }
    if (!t.view.data) fail(f_.path(), ": rope_freqs.weight bytes were not provided");
    const float* p = t.view.as<const float>();
    rope_freqs_.assign(p, p + c.n_rot / 2);
  }
  for (int il = 0; il < c.n_layer; il++) {
    LayerWeights L;
    L.attn_norm = norm(tn("attn_norm", il), e);
    L.wq = weight(tn("attn_q", il), {e, q_dim, 1, 1}, Op::MatMul);
    L.wk = weight(tn("attn_k", il), {e, kv_dim, 1, 1}, Op::MatMul);
    L.wv = weight(tn("attn_v", il), {e, kv_dim, 1, 1}, Op::MatMul);
    L.wo = weight(tn("attn_output", il), {q_dim, e, 1, 1}, Op::MatMul);
    if (c.qkv_bias) {
      L.bq = norm(tn("attn_q", il, "bias"), q_dim);
      L.bk = norm(tn("attn_k", il, "bias"), kv_dim);
      L.bv = norm(tn("attn_v", il, "bias"), kv_dim);
    }
    if (c.qk_norm) {
      L.q_norm = norm(tn("attn_q_norm", il), c.head_dim);
      L.k_norm = norm(tn("attn_k_norm", il), c.head_dim);
    }
    L.ffn_norm = norm(tn("ffn_norm", il), e);
    L.w_gate = weight(tn("ffn_gate", il), {e, c.n_ff, 1, 1}, Op::MatMul);
    L.w_up = weight(tn("ffn_up", il), {e, c.n_ff, 1, 1}, Op::MatMul);
    L.w_down = weight(tn("ffn_down", il), {c.n_ff, e, 1, 1}, Op::MatMul);
    if (c.post_norms) {
      L.post_attn_norm = norm(tn("post_attention_norm", il), e);
      L.post_ffn_norm = norm(tn("post_ffw_norm", il), e);
    }
    layers_.push_back(std::move(L));
  }
}

void Decoder::ensure_scratch(int n, bool all_logits) {
  const int n_logits = all_logits ? n : 1;
  if (n <= s_.cap && (s_.logits.ne[1] >= n_logits)) return;
  const ModelConfig& c = cfg_;
  const int cap = std::max(n, s_.cap);
  const int64_t q_dim = int64_t(c.head_dim) * c.n_head, kv_dim = int64_t(c.head_dim) * c.n_head_kv;
  s_.cap = cap;
  s_.x = be_.alloc(DType::F32, {c.n_embd, cap, 1, 1});
  s_.h = be_.alloc(DType::F32, {c.n_embd, cap, 1, 1});
  s_.o = be_.alloc(DType::F32, {c.n_embd, cap, 1, 1});
  // q, k and v in one allocation (q rows, then k rows, then v rows): a backend may write all three in one
  // step (norm_qkv).
  const Tensor qkv = be_.alloc(DType::F32, {1, (q_dim + 2 * kv_dim) * cap, 1, 1});
  s_.q = reshape(view_rows(qkv, 0, q_dim * cap), {q_dim, cap, 1, 1});
  s_.k = reshape(view_rows(qkv, q_dim * cap, kv_dim * cap), {kv_dim, cap, 1, 1});
  s_.v = reshape(view_rows(qkv, (q_dim + kv_dim) * cap, kv_dim * cap), {kv_dim, cap, 1, 1});
  s_.attn = be_.alloc(DType::F32, {q_dim, cap, 1, 1});
  s_.gate = be_.alloc(DType::F32, {c.n_ff, cap, 1, 1});
  s_.up = be_.alloc(DType::F32, {c.n_ff, cap, 1, 1});
  s_.logits = be_.alloc(DType::F32, {c.n_vocab, std::max<int64_t>(n_logits, s_.logits.empty() ? 1 : s_.logits.ne[1]), 1, 1});
}

void Decoder::qk_norm(const LayerWeights& L, const Tensor& q, const Tensor& k, int n) {
  const ModelConfig& c = cfg_;
  if (!c.qk_norm) return;
  Tensor qh = reshape(q, {c.head_dim, int64_t(c.n_head) * n, 1, 1});
  Tensor kh = reshape(k, {c.head_dim, int64_t(c.n_head_kv) * n, 1, 1});
  be_.rms_norm(qh, L.q_norm, c.norm_eps, qh);
  be_.rms_norm(kh, L.k_norm, c.norm_eps, kh);
}

RopeParams Decoder::rope_params(int il) const {
  const ModelConfig& c = cfg_;
  const bool swa = c.layer_swa[size_t(il)];
  RopeParams rp;
  rp.n_rot = c.n_rot;
  rp.neox = c.rope_neox;
  rp.freq_base = swa ? c.rope_base_swa : c.rope_base;
  rp.freq_scale = swa ? 1.0f : 1.0f / c.rope_scale;
  rp.freq_factors = rope_freqs_.empty() ? nullptr : rope_freqs_.data();
  return rp;
}

AttnParams Decoder::attn_params(int il) const {
  const ModelConfig& c = cfg_;
  AttnParams ap;
  ap.scale = c.attn_scale > 0 ? c.attn_scale : 1.0f / std::sqrt(float(c.head_dim));
  ap.window = c.layer_swa[size_t(il)] ? c.sliding_window : 0;
  return ap;
}

void Decoder::layer(int il, KvCache& cache, int n) {
  if (be_.fused_ops()) return layer_fused(il, cache, n);
  const ModelConfig& c = cfg_;
  const LayerWeights& L = layers_[size_t(il)];
  const int n_past = cache.n_past;
  Tensor x = view_rows(s_.x, 0, n), h = view_rows(s_.h, 0, n), o = view_rows(s_.o, 0, n);
  Tensor q = view_rows(s_.q, 0, n), k = view_rows(s_.k, 0, n), v = view_rows(s_.v, 0, n);
  Tensor attn = view_rows(s_.attn, 0, n), gate = view_rows(s_.gate, 0, n), up = view_rows(s_.up, 0, n);

  // Attention. h: [n_embd, n]; q: [head_dim * n_head, n]; k, v: [head_dim * n_head_kv, n]
  be_.rms_norm(x, L.attn_norm, c.norm_eps, h);
  be_.matmul(L.wq, h, q);
  be_.matmul(L.wk, h, k);
  be_.matmul(L.wv, h, v);
  if (c.qkv_bias) {
    be_.add(q, L.bq, q);
    be_.add(k, L.bk, k);
    be_.add(v, L.bv, v);
  }
  Tensor q3 = reshape(q, {c.head_dim, c.n_head, n, 1});     // [head_dim, n_head, n]
  Tensor k3 = reshape(k, {c.head_dim, c.n_head_kv, n, 1});  // [head_dim, n_head_kv, n]
  qk_norm(L, q, k, n);
  const RopeParams rp = rope_params(il);
  be_.rope(q3, n_past, rp);
  be_.rope(k3, n_past, rp);
  be_.set_rows(k, cache.k[size_t(il)], n_past);
  be_.set_rows(v, cache.v[size_t(il)], n_past);
  Tensor a3 = reshape(attn, {c.head_dim, c.n_head, n, 1});
  be_.attention(q3, cache.k[size_t(il)], cache.v[size_t(il)], c.n_head_kv, n_past, attn_params(il), a3);
  be_.matmul(L.wo, attn, o);
  if (c.post_norms) be_.rms_norm(o, L.post_attn_norm, c.norm_eps, o);
  be_.add(x, o, x);

  // Feed-forward. gate, up: [n_ff, n]
  be_.rms_norm(x, L.ffn_norm, c.norm_eps, h);
  be_.matmul(L.w_gate, h, gate);
  be_.matmul(L.w_up, h, up);
  if (c.act == FfnAct::SiLU) {
    be_.swiglu(gate, up, gate);
  } else {
    be_.geglu(gate, up, gate);
  }
  be_.matmul(L.w_down, gate, o);
  if (c.post_norms) be_.rms_norm(o, L.post_ffn_norm, c.norm_eps, o);
  be_.add(x, o, x);
}

// layer() with the fused steps (backend.h): norms folded into the matmuls that read them, residual adds
// into the matmuls that produce them, gate*up into one step, RoPE with the KV-cache store.
void Decoder::layer_fused(int il, KvCache& cache, int n) {
  const ModelConfig& c = cfg_;
  const LayerWeights& L = layers_[size_t(il)];
  const int n_past = cache.n_past;
  Tensor x = view_rows(s_.x, 0, n), h = view_rows(s_.h, 0, n), o = view_rows(s_.o, 0, n);
  Tensor q = view_rows(s_.q, 0, n), k = view_rows(s_.k, 0, n), v = view_rows(s_.v, 0, n);
  Tensor attn = view_rows(s_.attn, 0, n), gate = view_rows(s_.gate, 0, n), up = view_rows(s_.up, 0, n);

  // q: [head_dim * n_head, n]; k, v: [head_dim * n_head_kv, n]
  Tensor q3 = reshape(q, {c.head_dim, c.n_head, n, 1});
  Tensor k3 = reshape(k, {c.head_dim, c.n_head_kv, n, 1});
  const RopeParams rp = rope_params(il);
  if (c.qk_norm) {  // per-head norms between the projections and RoPE
    be_.norm_qkv(x, L.attn_norm, c.norm_eps, h, L.wq, L.bq, q, L.wk, L.bk, k, L.wv, L.bv, v);
    qk_norm(L, q, k, n);
    be_.rope_store(q3, k3, v, cache.k[size_t(il)], cache.v[size_t(il)], n_past, rp);
  } else {
    be_.norm_qkv_rope_store(x, L.attn_norm, c.norm_eps, h, L.wq, L.bq, q, L.wk, L.bk, k, L.wv, L.bv, v, c.head_dim,
                            cache.k[size_t(il)], cache.v[size_t(il)], n_past, rp);
  }
  Tensor a3 = reshape(attn, {c.head_dim, c.n_head, n, 1});
  be_.attention(q3, cache.k[size_t(il)], cache.v[size_t(il)], c.n_head_kv, n_past, attn_params(il), a3);
  if (c.post_norms) {
    be_.matmul(L.wo, attn, o);
    be_.norm_add(o, L.post_attn_norm, c.norm_eps, x);
  } else {
    be_.matmul_add(L.wo, attn, o, x);
  }
  be_.norm_gate_up(x, L.ffn_norm, c.norm_eps, h, L.w_gate, L.w_up, c.act != FfnAct::SiLU, up, gate);
  if (c.post_norms) {
    be_.matmul(L.w_down, gate, o);
    be_.norm_add(o, L.post_ffn_norm, c.norm_eps, x);
  } else {
    be_.matmul_add(L.w_down, gate, o, x);
  }
}

std::vector<float> Decoder::forward(KvCache& cache, const int32_t* tokens, int n, bool all_logits) {
  const Tensor logits = run(cache, tokens, n, all_logits);
  std::vector<float> out(size_t(logits.nelements()));
  be_.read(logits, out.data(), out.size() * sizeof(float));
  return out;
}

std::vector<float> Decoder::forward_embd(KvCache& cache, const int32_t* tokens, int n, const EmbdSpan* spans,
                                         int n_spans, bool all_logits) {
  const Tensor logits = run(cache, tokens, n, all_logits, nullptr, spans, n_spans);
  std::vector<float> out(size_t(logits.nelements()));
  be_.read(logits, out.data(), out.size() * sizeof(float));
  return out;
}

std::vector<float> Decoder::forward_hidden(KvCache& cache, const int32_t* tokens, int n) {
  run_layers(cache, tokens, n, false, nullptr, nullptr, 0);
  Tensor last = view_rows(s_.x, n - 1, 1), h = view_rows(s_.h, 0, 1);  // [n_embd, 1]
  be_.rms_norm(last, output_norm_, cfg_.norm_eps, h);
  std::vector<float> out(size_t(cfg_.n_embd));
  be_.read(h, out.data(), out.size() * sizeof(float));
  return out;
}

void Decoder::run_layers(KvCache& cache, const int32_t* tokens, int n, bool all_logits, const Tensor* dev_ids,
                         const EmbdSpan* spans, int n_spans) {
  const ModelConfig& c = cfg_;
  if (n <= 0) fail("forward: no tokens");
  for (int i = 0; i < n_spans; i++) {
    const EmbdSpan& sp = spans[i];
    if (sp.pos < 0 || sp.n <= 0 || sp.pos + sp.n > n || !sp.rows) {
      fail("forward: embedding span [", std::to_string(sp.pos), ", ", std::to_string(sp.pos + sp.n),
           ") is not inside the pass of ", std::to_string(n), " positions");
    }
  }
  if (cache.n_past + n > cache.n_ctx) {
    fail("context full: ", std::to_string(cache.n_past), " + ", std::to_string(n), " tokens exceed the context size ",
         std::to_string(cache.n_ctx));
  }
  for (int i = 0; tokens && i < n; i++) {
    if (tokens[i] < 0 || tokens[i] >= c.n_vocab) {
      fail("token id ", std::to_string(tokens[i]), " out of range (vocabulary has ", std::to_string(c.n_vocab), ")");
    }
  }
  ensure_scratch(n, all_logits);
  Tensor x = view_rows(s_.x, 0, n);  // [n_embd, n]
  if (tokens) {
    be_.get_rows(tok_embd_, tokens, n, x);
  } else {
    be_.get_rows_device(tok_embd_, *dev_ids, x);
  }
  if (c.embd_scale != 1.0f) be_.scale(x, c.embd_scale);
  const size_t row_bytes = size_t(c.n_embd) * sizeof(float);
  for (int i = 0; i < n_spans; i++) {  // rows over the token embeddings of positions [pos, pos + n)
    be_.write(x, spans[i].rows, size_t(spans[i].n) * row_bytes, size_t(spans[i].pos) * row_bytes);
  }
  for (int il = 0; il < c.n_layer; il++) {
    layer(il, cache, n);
    be_.submit_point();
  }
  cache.n_past += n;
}

Tensor Decoder::run(KvCache& cache, const int32_t* tokens, int n, bool all_logits, const Tensor* dev_ids,
                    const EmbdSpan* spans, int n_spans) {
  const ModelConfig& c = cfg_;
  run_layers(cache, tokens, n, all_logits, dev_ids, spans, n_spans);
  const int n_out = all_logits ? n : 1;
  Tensor last = view_rows(s_.x, all_logits ? 0 : n - 1, n_out);  // [n_embd, n_out]
  Tensor h = view_rows(s_.h, 0, n_out);
  Tensor logits = view_rows(s_.logits, 0, n_out);  // [n_vocab, n_out]
  if (be_.fused_ops()) {
    be_.norm_matmul(last, output_norm_, c.norm_eps, h, output_, Tensor{}, logits);
    return logits;
  }
  be_.rms_norm(last, output_norm_, c.norm_eps, h);
  be_.matmul(output_, h, logits);
  return logits;
}

}  // namespace

std::unique_ptr<Model> make_decoder(const GgufFile& f, Backend& backend, const ModelConfig& cfg) {
  return std::make_unique<Decoder>(f, backend, cfg);
}

std::vector<float> Model::forward_hidden(KvCache&, const int32_t*, int) {
  fail("this model cannot return hidden states (embeddings)");
}

std::vector<float> Model::forward_embd(KvCache&, const int32_t*, int, const EmbdSpan*, int, bool) {
  fail("this model cannot take embedding inputs (images)");
}

std::unique_ptr<Model> Model::load(const GgufFile& f, Backend& backend) {
  return make_decoder(f, backend, read_config(f));
}

}  // namespace sotto
