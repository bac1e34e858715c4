// moonshine.cpp — Moonshine (UsefulSensors; HF MoonshineForConditionalGeneration) on the Backend interface.
// Architecture, GGUF tensor names and metadata keys: docs/asr.md. In short, with E = n_embd:
//   stem:    conv1(k127 s64, no bias) -> tanh -> group_norm(1 group) -> conv2(k7 s3) + gelu -> conv3(k3 s2) + gelu
//   encoder: x += attn(ln(x)) [no mask, partial RoPE]; x += ffn_down(gelu(ffn_up(ln(x)))); final ln
//   decoder: x += self_attn(ln(x)) [causal, partial RoPE]; x += cross_attn(ln(x), enc) [no RoPE];
//            x += ffn_down(silu(ffn_gate(h)) * ffn_up(h)), h = ln(x); final ln; logits = x Wout (Wout = token_embd
//            when tied). LayerNorms have no bias; MLP linears have biases; attention projections do not.
// Weights are checked (name, shape, backend support) at load. Also AsrModel::load (the architecture dispatch).
#include <cmath>

#include "core/error.h"
#include "core/gguf.h"
#include "models/asr-model.h"
#include "models/linear.h"
#include "models/config.h"

namespace sotto {
namespace {

constexpr int kK1 = 127, kS1 = 64, kK2 = 7, kS2 = 3, kK3 = 3, kS3 = 2;

struct AttnW {
  Tensor wq, wk, wv, wo;
};
struct EncLayer {
  Tensor attn_norm, ffn_norm, up, up_b, down, down_b;
  AttnW attn;
};
struct DecLayer {
  Tensor attn_norm, cross_norm, ffn_norm, gate, gate_b, up, up_b, down, down_b;
  AttnW attn, cross;
};

class Moonshine final : public AsrModel {
 public:
  Moonshine(const GgufFile& f, Backend& be) : f_(f), be_(be) {
    read_config();
    load();
  }

  const AsrConfig& config() const override { return c_; }

  AsrState new_state(int n_ctx) const override {
    return new_asr_state(be_, c_, n_ctx);
  }

  int64_t min_samples() const override {
    // conv3 needs kK3 steps of conv2, which needs kK2 + kS2 * (kK3 - 1) steps of conv1.
    const int64_t t1 = kK2 + int64_t(kS2) * (kK3 - 1);
    return kK1 + int64_t(kS1) * (t1 - 1);
  }

  int n_frames(int64_t n) const override {
    if (n < min_samples()) return 0;
    const int64_t t1 = (n - kK1) / kS1 + 1, t2 = (t1 - kK2) / kS2 + 1;
    return int((t2 - kK3) / kS3 + 1);
  }

  void encode(AsrState& st, const float* pcm, int64_t n) override;
  Tensor decode_device(AsrState& st, const int32_t* tokens, int n, bool all_logits) override;
  Backend& backend() const override { return be_; }

 private:
  void read_config();
  void load();
  Tensor weight(const std::string& name, Shape ne, Op op) { return load_asr_weight(f_, be_, name, ne, op); }
  Tensor vec(const std::string& name, int64_t n) {
    const GgufTensorInfo* t = f_.find_tensor(name);
    if (t && t->type != DType::F32) fail(f_.path(), ": tensor ", name, " must be f32, is ", dtype_name(t->type));
    return weight(name, {n, 1, 1, 1}, Op::Add);
  }
  AttnW attn_weights(const std::string& p) {
    const int64_t e = c_.n_embd;
    return {weight(p + "_q.weight", {e, e, 1, 1}, Op::MatMul), weight(p + "_k.weight", {e, e, 1, 1}, Op::MatMul),
            weight(p + "_v.weight", {e, e, 1, 1}, Op::MatMul), weight(p + "_output.weight", {e, e, 1, 1}, Op::MatMul)};
  }
  // out = attention(q = h Wq, k, v) Wo for n queries; rope on q (and on k, done by the caller) when n_rot > 0.
  void attend(const AttnW& w, const Tensor& h, const Tensor& k, const Tensor& v, int n_head, int n_rot, int pos0,
              bool causal, int n_past, Tensor& q, Tensor& a, Tensor& out);
  Tensor tmp(Shape ne) { return be_.alloc(DType::F32, ne); }

  const GgufFile& f_;
  Backend& be_;
  AsrConfig c_;
  Tensor conv1_, gn_w_, gn_b_, conv2_, conv2_b_, conv3_, conv3_b_, enc_norm_;
  Tensor tok_embd_, dec_norm_, output_;
  std::vector<EncLayer> enc_;
  std::vector<DecLayer> dec_;
};

void Moonshine::read_config() {
  const std::string a = "moonshine";
  c_.arch_name = a;
  auto get = [&](const std::string& k, int64_t max, int64_t def = -1) {
    const int64_t v = def >= 0 ? f_.get_int_or(a + "." + k, def) : f_.get_int(a + "." + k);
    if (v <= 0 || v > max) {
      fail(f_.path(), ": metadata ", a, ".", k, " = ", std::to_string(v), " is out of range (1..", std::to_string(max),
           ")");
    }
    return int(v);
  };
  c_.n_embd = get("embedding_length", 1 << 14);
  c_.n_ff = get("feed_forward_length", 1 << 16);
  c_.n_enc_layer = get("encoder.block_count", 256);
  c_.n_dec_layer = get("decoder.block_count", 256);
  c_.n_enc_head = get("encoder.attention.head_count", 256);
  c_.n_dec_head = get("decoder.attention.head_count", 256);
  c_.n_ctx = get("context_length", 1 << 16, 512);
  if (c_.n_ctx < kMinContext) {  // the start token(s) and one decoded token must fit
    fail(f_.path(), ": metadata ", a, ".context_length = ", std::to_string(c_.n_ctx), " is too short to decode (at least ",
         std::to_string(kMinContext), ")");
  }
  for (int h : {c_.n_enc_head, c_.n_dec_head}) {
    if (c_.n_embd % h != 0) {
      fail(f_.path(), ": embedding_length ", std::to_string(c_.n_embd), " does not split into ", std::to_string(h),
           " heads");
    }
  }
  c_.enc_n_rot = get("encoder.rope.dimension_count", c_.n_embd / c_.n_enc_head);
  c_.dec_n_rot = get("decoder.rope.dimension_count", c_.n_embd / c_.n_dec_head);
  if (c_.enc_n_rot % 2 || c_.dec_n_rot % 2) fail(f_.path(), ": rope.dimension_count must be even");
  c_.rope_base = float(f_.get_float_or(a + ".rope.freq_base", 10000.0));
  c_.norm_eps = float(f_.get_float_or(a + ".attention.layer_norm_epsilon", 1e-5));
  c_.max_tokens_per_second = float(f_.get_float_or(a + ".max_tokens_per_second", 6.5));
  c_.decoder_start = int32_t(f_.get_int_or(a + ".decoder_start_token_id", f_.get_int_or("tokenizer.ggml.bos_token_id", 1)));
  const GgufTensorInfo& emb = f_.tensor("dec.token_embd.weight");
  c_.n_vocab = int(emb.ne[1]);
  if (c_.decoder_start < 0 || c_.decoder_start >= c_.n_vocab) fail(f_.path(), ": decoder start token out of range");
}

void Moonshine::load() {
  const int64_t e = c_.n_embd, ff = c_.n_ff, V = c_.n_vocab;
  conv1_ = weight("enc.conv1.weight", {kK1, e, 1, 1}, Op::Conv1d);
  gn_w_ = vec("enc.groupnorm.weight", e);
  gn_b_ = vec("enc.groupnorm.bias", e);
  conv2_ = weight("enc.conv2.weight", {kK2 * e, 2 * e, 1, 1}, Op::Conv1d);
  conv2_b_ = vec("enc.conv2.bias", 2 * e);
  conv3_ = weight("enc.conv3.weight", {kK3 * 2 * e, e, 1, 1}, Op::Conv1d);
  conv3_b_ = vec("enc.conv3.bias", e);
  for (int il = 0; il < c_.n_enc_layer; il++) {
    const std::string p = "enc.blk." + std::to_string(il) + ".";
    EncLayer L;
    L.attn_norm = vec(p + "attn_norm.weight", e);
    L.attn = attn_weights(p + "attn");
    L.ffn_norm = vec(p + "ffn_norm.weight", e);
    L.up = weight(p + "ffn_up.weight", {e, ff, 1, 1}, Op::MatMul);
    L.up_b = vec(p + "ffn_up.bias", ff);
    L.down = weight(p + "ffn_down.weight", {ff, e, 1, 1}, Op::MatMul);
    L.down_b = vec(p + "ffn_down.bias", e);
    enc_.push_back(std::move(L));
  }
  enc_norm_ = vec("enc.output_norm.weight", e);
  const bool tied = f_.find_tensor("dec.output.weight") == nullptr;
  tok_embd_ = weight("dec.token_embd.weight", {e, V, 1, 1}, tied ? Op::MatMul : Op::GetRows);
  if (!be_.supports(Op::GetRows, tok_embd_.type)) fail(f_.path(), ": dec.token_embd.weight type not supported");
  output_ = tied ? tok_embd_ : weight("dec.output.weight", {e, V, 1, 1}, Op::MatMul);
  for (int il = 0; il < c_.n_dec_layer; il++) {
    const std::string p = "dec.blk." + std::to_string(il) + ".";
    DecLayer L;
    L.attn_norm = vec(p + "attn_norm.weight", e);
    L.attn = attn_weights(p + "attn");
    L.cross_norm = vec(p + "cross_attn_norm.weight", e);
    L.cross = attn_weights(p + "cross_attn");
    L.ffn_norm = vec(p + "ffn_norm.weight", e);
    L.up = weight(p + "ffn_up.weight", {e, ff, 1, 1}, Op::MatMul);
    L.up_b = vec(p + "ffn_up.bias", ff);
    L.gate = weight(p + "ffn_gate.weight", {e, ff, 1, 1}, Op::MatMul);
    L.gate_b = vec(p + "ffn_gate.bias", ff);
    L.down = weight(p + "ffn_down.weight", {ff, e, 1, 1}, Op::MatMul);
    L.down_b = vec(p + "ffn_down.bias", e);
    dec_.push_back(std::move(L));
  }
  dec_norm_ = vec("dec.output_norm.weight", e);
}

void Moonshine::attend(const AttnW& w, const Tensor& h, const Tensor& k, const Tensor& v, int n_head, int n_rot,
                       int pos0, bool causal, int n_past, Tensor& q, Tensor& a, Tensor& out) {
  const int64_t n = h.nrows(), hd = c_.n_embd / n_head;
  be_.matmul(w.wq, h, q);  // [E, n]
  Tensor q3 = reshape(q, {hd, n_head, n, 1});
  if (n_rot > 0) {
    RopeParams rp;
    rp.n_rot = n_rot;
    rp.freq_base = c_.rope_base;
    rp.neox = false;
    be_.rope(q3, pos0, rp);
  }
  AttnParams ap;
  ap.scale = 1.0f / std::sqrt(float(hd));
  ap.causal = causal;
  Tensor a3 = reshape(a, {hd, n_head, n, 1});
  be_.attention(q3, k, v, n_head, causal ? n_past : 0, ap, a3);
  be_.matmul(w.wo, a, out);
}

void Moonshine::encode(AsrState& st, const float* pcm, int64_t n) {
  if (n < min_samples()) {
    fail("moonshine encode: ", std::to_string(n), " samples, need at least ", std::to_string(min_samples()));
  }
  const int64_t e = c_.n_embd;
  const int64_t t1 = (n - kK1) / kS1 + 1, t2 = (t1 - kK2) / kS2 + 1, t3 = (t2 - kK3) / kS3 + 1;
  // Stem. audio: [1, n]; h1: [E, t1]; h2: [2E, t2]; x: [E, t3]
  Tensor audio = tmp({1, n, 1, 1});
  be_.write(audio, pcm, size_t(n) * sizeof(float));
  Tensor h1 = tmp({e, t1, 1, 1});
  be_.conv1d(conv1_, audio, kS1, 0, h1);
  be_.unary(UnaryOp::Tanh, h1, h1);
  be_.group_norm(h1, 1, gn_w_, gn_b_, 1e-5f, h1);
  Tensor h2 = tmp({2 * e, t2, 1, 1});
  be_.conv1d(conv2_, h1, kS2, 0, h2);
  be_.add(h2, conv2_b_, h2);
  be_.unary(UnaryOp::Gelu, h2, h2);
  Tensor x = tmp({e, t3, 1, 1});
  be_.conv1d(conv3_, h2, kS3, 0, x);
  be_.add(x, conv3_b_, x);
  be_.unary(UnaryOp::Gelu, x, x);

  // Encoder layers. h, q, k, v, a, o: [E, t3]; f: [n_ff, t3]
  Tensor h = tmp({e, t3, 1, 1}), q = tmp({e, t3, 1, 1}), k = tmp({e, t3, 1, 1}), v = tmp({e, t3, 1, 1});
  Tensor a = tmp({e, t3, 1, 1}), o = tmp({e, t3, 1, 1}), f = tmp({c_.n_ff, t3, 1, 1});
  const int64_t hd = e / c_.n_enc_head;
  RopeParams rp;
  rp.n_rot = c_.enc_n_rot;
  rp.freq_base = c_.rope_base;
  for (const EncLayer& L : enc_) {
    be_.layer_norm(x, L.attn_norm, Tensor{}, c_.norm_eps, h);
    be_.matmul(L.attn.wk, h, k);
    be_.matmul(L.attn.wv, h, v);
    Tensor k3 = reshape(k, {hd, c_.n_enc_head, t3, 1});
    be_.rope(k3, 0, rp);
    attend(L.attn, h, k, v, c_.n_enc_head, c_.enc_n_rot, 0, false, 0, q, a, o);
    be_.add(x, o, x);
    be_.layer_norm(x, L.ffn_norm, Tensor{}, c_.norm_eps, h);
    be_.matmul(L.up, h, f);
    be_.add(f, L.up_b, f);
    be_.unary(UnaryOp::Gelu, f, f);
    be_.matmul(L.down, f, o);
    be_.add(o, L.down_b, o);
    be_.add(x, o, x);
  }
  st.enc = tmp({e, t3, 1, 1});
  be_.layer_norm(x, enc_norm_, Tensor{}, c_.norm_eps, st.enc);
  st.n_frames = int(t3);
  st.cross_k.clear();
  st.cross_v.clear();
  for (const DecLayer& L : dec_) {
    st.cross_k.push_back(tmp({e, t3, 1, 1}));
    st.cross_v.push_back(tmp({e, t3, 1, 1}));
    be_.matmul(L.cross.wk, st.enc, st.cross_k.back());
    be_.matmul(L.cross.wv, st.enc, st.cross_v.back());
  }
  st.n_past = 0;
}

Tensor Moonshine::decode_device(AsrState& st, const int32_t* tokens, int n, bool all_logits) {
  if (n <= 0) fail("moonshine decode: no tokens");
  if (st.cross_k.empty()) fail("moonshine decode: no audio encoded");
  if (st.n_past + n > st.n_ctx) {
    fail("moonshine decode: ", std::to_string(st.n_past), " + ", std::to_string(n), " tokens exceed the context of ",
         std::to_string(st.n_ctx));
  }
  for (int i = 0; i < n; i++) {
    if (tokens[i] < 0 || tokens[i] >= c_.n_vocab) {
      fail("token id ", std::to_string(tokens[i]), " out of range (vocabulary has ", std::to_string(c_.n_vocab), ")");
    }
  }
  const int64_t e = c_.n_embd, hd = e / c_.n_dec_head;
  if (st.scratch_n != n || st.scratch.size() != 10) {
    st.scratch.clear();
    for (int i = 0; i < 7; i++) st.scratch.push_back(tmp({e, n, 1, 1}));
    for (int i = 0; i < 2; i++) st.scratch.push_back(tmp({c_.n_ff, n, 1, 1}));
    st.scratch.push_back(tmp({c_.n_vocab, 1, 1, 1}));
    st.scratch_n = n;
  }
  Tensor &x = st.scratch[0], &h = st.scratch[1], &q = st.scratch[2], &k = st.scratch[3], &v = st.scratch[4];
  Tensor &a = st.scratch[5], &o = st.scratch[6], &g = st.scratch[7], &u = st.scratch[8];
  be_.get_rows(tok_embd_, tokens, n, x);
  RopeParams rp;
  rp.n_rot = c_.dec_n_rot;
  rp.freq_base = c_.rope_base;
  for (size_t il = 0; il < dec_.size(); il++) {
    const DecLayer& L = dec_[il];
    // Self-attention over the cache: k, v of the new tokens are stored at rows n_past.. first.
    be_.layer_norm(x, L.attn_norm, Tensor{}, c_.norm_eps, h);
    be_.matmul(L.attn.wk, h, k);
    be_.matmul(L.attn.wv, h, v);
    Tensor k3 = reshape(k, {hd, c_.n_dec_head, n, 1});
    be_.rope(k3, st.n_past, rp);
    be_.set_rows(k, st.self_k[il], st.n_past);
    be_.set_rows(v, st.self_v[il], st.n_past);
    attend(L.attn, h, st.self_k[il], st.self_v[il], c_.n_dec_head, c_.dec_n_rot, st.n_past, true, st.n_past, q, a, o);
    be_.add(x, o, x);
    // Cross-attention to the encoded audio (no positions).
    be_.layer_norm(x, L.cross_norm, Tensor{}, c_.norm_eps, h);
    attend(L.cross, h, st.cross_k[il], st.cross_v[il], c_.n_dec_head, 0, 0, false, 0, q, a, o);
    be_.add(x, o, x);
    // SwiGLU feed-forward.
    be_.layer_norm(x, L.ffn_norm, Tensor{}, c_.norm_eps, h);
    be_.matmul(L.gate, h, g);
    be_.add(g, L.gate_b, g);
    be_.matmul(L.up, h, u);
    be_.add(u, L.up_b, u);
    be_.swiglu(g, u, g);
    be_.matmul(L.down, g, o);
    be_.add(o, L.down_b, o);
    be_.add(x, o, x);
  }
  st.n_past += n;
  const int n_out = all_logits ? n : 1;
  Tensor last = view_rows(x, all_logits ? 0 : n - 1, n_out);
  Tensor hl = view_rows(h, 0, n_out);
  be_.layer_norm(last, dec_norm_, Tensor{}, c_.norm_eps, hl);
  Tensor logits = all_logits ? tmp({c_.n_vocab, n_out, 1, 1}) : st.scratch[9];
  be_.matmul(output_, hl, logits);
  return logits;
}

}  // namespace

std::unique_ptr<AsrModel> make_whisper(const GgufFile& f, Backend& backend);  // whisper.cpp

std::unique_ptr<AsrModel> AsrModel::load(const GgufFile& f, Backend& backend) {
  const std::string arch = f.get_string("general.architecture");
  if (arch == "moonshine") return std::make_unique<Moonshine>(f, backend);
  if (arch == "whisper") return make_whisper(f, backend);
  fail(f.path(), ": architecture '", arch, "' is not a speech model (supported: moonshine, whisper)");
}

Tensor load_asr_weight(const GgufFile& f, Backend& be, const std::string& name, Shape ne, Op op) {
  return load_weight(f, be, name, ne, op);
}

AsrState new_asr_state(Backend& be, const AsrConfig& c, int n_ctx) {
  if (n_ctx <= 0 || n_ctx > c.n_ctx) {
    fail("decoder context ", std::to_string(n_ctx), " out of range (1..", std::to_string(c.n_ctx), ")");
  }
  AsrState st;
  st.n_ctx = n_ctx;
  for (int l = 0; l < c.n_dec_layer; l++) {
    st.self_k.push_back(be.alloc(DType::F32, {c.n_embd, n_ctx, 1, 1}));
    st.self_v.push_back(be.alloc(DType::F32, {c.n_embd, n_ctx, 1, 1}));
  }
  return st;
}

std::vector<float> AsrModel::decode(AsrState& st, const int32_t* tokens, int n, bool all_logits) {
  const Tensor logits = decode_device(st, tokens, n, all_logits);
  std::vector<float> out(size_t(logits.nelements()));
  backend().read(logits, out.data(), out.size() * sizeof(float));
  return out;
}

void AsrModel::encode_mel(AsrState&, const float*, int) {
  fail(config().arch_name, " takes raw audio, not log-mel features");
}

}  // namespace sotto
