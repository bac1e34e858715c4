// whisper.cpp — Whisper (OpenAI; HF WhisperForConditionalGeneration) on the Backend interface. With d = n_embd:
//   encoder: x = gelu(conv1(mel; k3 p1) + b); x = gelu(conv2(x; k3 s2 p1) + b); x += position_embd (sinusoidal table);
//            per layer x += attn(ln(x)) [no mask]; x += ffn_down(gelu(ffn_up(ln(x)))); final ln
//   decoder: x = token_embd[ids] + position_embd[pos] (learned); per layer x += self_attn(ln(x)) [causal];
//            x += cross_attn(ln(x), enc); x += ffn_down(gelu(ffn_up(ln(x)))); final ln; logits = x token_embd^T
// LayerNorms have weight and bias; q, v, output projections have biases, k none. The encoder takes exactly
// n_mel_frames frames (2 x encoder.context_length; 3000 = 30 s for the released models): the caller pads the audio.
// GGUF names and keys: docs/asr.md. Does not: compute the log-mel (runtime/transcribe does, with audio/mel.h).
#include <cmath>

#include "core/error.h"
#include "core/gguf.h"
#include "models/asr-model.h"
#include "models/linear.h"
#include "models/config.h"

namespace sotto {
namespace {

struct AttnW {
  Lin q, k, v, o;
};
struct Layer {
  Norm attn_norm, cross_norm, ffn_norm;
  AttnW attn, cross;
  Lin up, down;
};

class Whisper final : public AsrModel {
 public:
  Whisper(const GgufFile& f, Backend& be) : f_(f), be_(be) {
    read_config();
    load();
  }
  const AsrConfig& config() const override { return c_; }
  AsrState new_state(int n_ctx) const override {
    return new_asr_state(be_, c_, n_ctx);
  }
  int64_t min_samples() const override { return 1; }
  int n_frames(int64_t) const override { return n_audio_ctx_; }
  void encode(AsrState&, const float*, int64_t) override {
    fail("whisper takes log-mel features: use encode_mel (the transcriber computes them)");
  }
  void encode_mel(AsrState& st, const float* mel, int n_frames) override;
  Tensor decode_device(AsrState& st, const int32_t* tokens, int n, bool all_logits) override;
  Backend& backend() const override { return be_; }

 private:
  void read_config();
  void load();
  Tensor weight(const std::string& name, Shape ne, Op op) { return load_asr_weight(f_, be_, name, ne, op); }
  Tensor vec(const std::string& name, int64_t n) { return weight(name, {n, 1, 1, 1}, Op::Add); }
  Lin lin(const std::string& p, int64_t n_in, int64_t n_out, bool bias = true) {
    return {weight(p + ".weight", {n_in, n_out, 1, 1}, Op::MatMul), bias ? vec(p + ".bias", n_out) : Tensor{}};
  }
  Norm norm(const std::string& p) { return {vec(p + ".weight", c_.n_embd), vec(p + ".bias", c_.n_embd)}; }
  AttnW attn(const std::string& p) {
    const int64_t d = c_.n_embd;
    return {lin(p + "_q", d, d), lin(p + "_k", d, d, false), lin(p + "_v", d, d), lin(p + "_output", d, d)};
  }
  void apply(const Lin& l, const Tensor& x, Tensor& y) { apply_lin(be_, l, x, y); }
  void ln(const Norm& n, const Tensor& x, Tensor& y) { be_.layer_norm(x, n.w, n.b, c_.norm_eps, y); }
  Tensor tmp(Shape ne) { return be_.alloc(DType::F32, ne); }
  // out = attention(h Wq + bq, k, v) Wo + bo.
  void attend(const AttnW& w, const Tensor& h, const Tensor& k, const Tensor& v, int n_head, bool causal, int n_past,
              Tensor& q, Tensor& a, Tensor& out) {
    const int64_t n = h.nrows(), hd = c_.n_embd / n_head;
    apply(w.q, h, q);
    AttnParams ap;
    ap.scale = 1.0f / std::sqrt(float(hd));
    ap.causal = causal;
    Tensor q3 = reshape(q, {hd, n_head, n, 1}), a3 = reshape(a, {hd, n_head, n, 1});
    be_.attention(q3, k, v, n_head, causal ? n_past : 0, ap, a3);
    apply(w.o, a, out);
  }

  const GgufFile& f_;
  Backend& be_;
  AsrConfig c_;
  int n_enc_ff_ = 0, n_dec_ff_ = 0, n_audio_ctx_ = 0;
  Lin conv1_, conv2_;
  Tensor enc_pos_, tok_embd_, dec_pos_;
  Norm enc_norm_, dec_norm_;
  std::vector<Layer> enc_, dec_;
};

void Whisper::read_config() {
  const std::string a = "whisper";
  c_.arch_name = a;
  auto get = [&](const std::string& k, int64_t max) {
    const int64_t v = f_.get_int(a + "." + k);
    if (v <= 0 || v > max) {
      fail(f_.path(), ": metadata ", a, ".", k, " = ", std::to_string(v), " is out of range (1..", std::to_string(max),
           ")");
    }
    return int(v);
  };
  c_.n_embd = get("embedding_length", 1 << 14);
  n_enc_ff_ = get("encoder.feed_forward_length", 1 << 16);
  n_dec_ff_ = get("decoder.feed_forward_length", 1 << 16);
  c_.n_ff = n_dec_ff_;
  c_.n_enc_layer = get("encoder.block_count", 256);
  c_.n_dec_layer = get("decoder.block_count", 256);
  c_.n_enc_head = get("encoder.attention.head_count", 256);
  c_.n_dec_head = get("decoder.attention.head_count", 256);
  c_.n_mels = get("n_mels", 512);
  n_audio_ctx_ = get("encoder.context_length", 1 << 16);
  c_.n_mel_frames = 2 * n_audio_ctx_;
  c_.n_ctx = get("decoder.context_length", 1 << 16);
  if (c_.n_ctx < kMinContext) {  // the start token(s) and one decoded token must fit
    fail(f_.path(), ": metadata ", a, ".decoder.context_length = ", std::to_string(c_.n_ctx), " is too short to decode (at least ",
         std::to_string(kMinContext), ")");
  }
  for (int h : {c_.n_enc_head, c_.n_dec_head}) {
    if (c_.n_embd % h != 0) fail(f_.path(), ": embedding_length does not split into ", std::to_string(h), " heads");
  }
  c_.norm_eps = float(f_.get_float_or(a + ".attention.layer_norm_epsilon", 1e-5));
  c_.max_tokens_per_second = 0.0f;
  c_.n_vocab = int(f_.tensor("dec.token_embd.weight").ne[1]);
  c_.decoder_start = int32_t(f_.get_int_or(a + ".decoder_start_token_id", f_.get_int_or("tokenizer.ggml.bos_token_id", 0)));
  if (c_.decoder_start < 0 || c_.decoder_start >= c_.n_vocab) fail(f_.path(), ": decoder start token out of range");
}

void Whisper::load() {
  const int64_t d = c_.n_embd;
  conv1_ = {weight("enc.conv1.weight", {3 * int64_t(c_.n_mels), d, 1, 1}, Op::Conv1d), vec("enc.conv1.bias", d)};
  conv2_ = {weight("enc.conv2.weight", {3 * d, d, 1, 1}, Op::Conv1d), vec("enc.conv2.bias", d)};
  enc_pos_ = weight("enc.position_embd.weight", {d, n_audio_ctx_, 1, 1}, Op::Add);
  for (int il = 0; il < c_.n_enc_layer; il++) {
    const std::string p = "enc.blk." + std::to_string(il) + ".";
    Layer L;
    L.attn_norm = norm(p + "attn_norm");
    L.attn = attn(p + "attn");
    L.ffn_norm = norm(p + "ffn_norm");
    L.up = lin(p + "ffn_up", d, n_enc_ff_);
    L.down = lin(p + "ffn_down", n_enc_ff_, d);
    enc_.push_back(std::move(L));
  }
  enc_norm_ = norm("enc.output_norm");
  tok_embd_ = weight("dec.token_embd.weight", {d, c_.n_vocab, 1, 1}, Op::MatMul);
  if (!be_.supports(Op::GetRows, tok_embd_.type)) fail(f_.path(), ": dec.token_embd.weight type not supported");
  dec_pos_ = weight("dec.position_embd.weight", {d, c_.n_ctx, 1, 1}, Op::Add);
  for (int il = 0; il < c_.n_dec_layer; il++) {
    const std::string p = "dec.blk." + std::to_string(il) + ".";
    Layer L;
    L.attn_norm = norm(p + "attn_norm");
    L.attn = attn(p + "attn");
    L.cross_norm = norm(p + "cross_attn_norm");
    L.cross = attn(p + "cross_attn");
    L.ffn_norm = norm(p + "ffn_norm");
    L.up = lin(p + "ffn_up", d, n_dec_ff_);
    L.down = lin(p + "ffn_down", n_dec_ff_, d);
    dec_.push_back(std::move(L));
  }
  dec_norm_ = norm("dec.output_norm");
}

void Whisper::encode_mel(AsrState& st, const float* mel, int n_frames) {
  if (n_frames != c_.n_mel_frames) {
    fail("whisper encode: ", std::to_string(n_frames), " mel frames, the encoder takes exactly ",
         std::to_string(c_.n_mel_frames));
  }
  const int64_t d = c_.n_embd, T = n_audio_ctx_;
  Tensor m = tmp({c_.n_mels, n_frames, 1, 1});  // [n_mels, n_frames]
  be_.write(m, mel, size_t(c_.n_mels) * size_t(n_frames) * sizeof(float));
  Tensor h1 = tmp({d, n_frames, 1, 1});
  be_.conv1d(conv1_.w, m, 1, 1, h1);
  be_.add(h1, conv1_.b, h1);
  be_.unary(UnaryOp::Gelu, h1, h1);
  Tensor x = tmp({d, T, 1, 1});  // (n_frames + 2 - 3) / 2 + 1 = T for even n_frames
  be_.conv1d(conv2_.w, h1, 2, 1, x);
  be_.add(x, conv2_.b, x);
  be_.unary(UnaryOp::Gelu, x, x);
  be_.add(x, enc_pos_, x);
  Tensor h = tmp({d, T, 1, 1}), q = tmp({d, T, 1, 1}), k = tmp({d, T, 1, 1}), v = tmp({d, T, 1, 1});
  Tensor a = tmp({d, T, 1, 1}), o = tmp({d, T, 1, 1}), f = tmp({n_enc_ff_, T, 1, 1});
  for (const Layer& L : enc_) {
    ln(L.attn_norm, x, h);
    apply(L.attn.k, h, k);
    apply(L.attn.v, h, v);
    attend(L.attn, h, k, v, c_.n_enc_head, false, 0, q, a, o);
    be_.add(x, o, x);
    ln(L.ffn_norm, x, h);
    apply(L.up, h, f);
    be_.unary(UnaryOp::Gelu, f, f);
    apply(L.down, f, o);
    be_.add(x, o, x);
  }
  st.enc = tmp({d, T, 1, 1});
  ln(enc_norm_, x, st.enc);
  st.n_frames = int(T);
  st.cross_k.clear();
  st.cross_v.clear();
  for (const Layer& L : dec_) {
    st.cross_k.push_back(tmp({d, T, 1, 1}));
    st.cross_v.push_back(tmp({d, T, 1, 1}));
    apply(L.cross.k, st.enc, st.cross_k.back());
    apply(L.cross.v, st.enc, st.cross_v.back());
  }
  st.n_past = 0;
}

Tensor Whisper::decode_device(AsrState& st, const int32_t* tokens, int n, bool all_logits) {
  if (n <= 0) fail("whisper decode: no tokens");
  if (st.cross_k.empty()) fail("whisper decode: no audio encoded");
  if (st.n_past + n > st.n_ctx) {
    fail("whisper decode: ", std::to_string(st.n_past), " + ", std::to_string(n), " tokens exceed the context of ",
         std::to_string(st.n_ctx));
  }
  for (int i = 0; i < n; i++) {
    if (tokens[i] < 0 || tokens[i] >= c_.n_vocab) {
      fail("token id ", std::to_string(tokens[i]), " out of range (vocabulary has ", std::to_string(c_.n_vocab), ")");
    }
  }
  const int64_t d = c_.n_embd;
  if (st.scratch_n != n || st.scratch.size() != 10) {
    st.scratch.clear();
    for (int i = 0; i < 8; i++) st.scratch.push_back(tmp({d, n, 1, 1}));
    st.scratch.push_back(tmp({n_dec_ff_, n, 1, 1}));
    st.scratch.push_back(tmp({c_.n_vocab, 1, 1, 1}));
    st.scratch_n = n;
  }
  Tensor &x = st.scratch[0], &p = st.scratch[1], &h = st.scratch[2], &q = st.scratch[3], &k = st.scratch[4];
  Tensor &v = st.scratch[5], &a = st.scratch[6], &o = st.scratch[7], &f = st.scratch[8];
  be_.get_rows(tok_embd_, tokens, n, x);
  std::vector<int32_t> pos(static_cast<size_t>(n));
  for (int i = 0; i < n; i++) pos[size_t(i)] = st.n_past + i;
  be_.get_rows(dec_pos_, pos.data(), n, p);
  be_.add(x, p, x);
  for (size_t il = 0; il < dec_.size(); il++) {
    const Layer& L = dec_[il];
    ln(L.attn_norm, x, h);
    apply(L.attn.k, h, k);
    apply(L.attn.v, h, v);
    be_.set_rows(k, st.self_k[il], st.n_past);
    be_.set_rows(v, st.self_v[il], st.n_past);
    attend(L.attn, h, st.self_k[il], st.self_v[il], c_.n_dec_head, true, st.n_past, q, a, o);
    be_.add(x, o, x);
    ln(L.cross_norm, x, h);
    attend(L.cross, h, st.cross_k[il], st.cross_v[il], c_.n_dec_head, false, 0, q, a, o);
    be_.add(x, o, x);
    ln(L.ffn_norm, x, h);
    apply(L.up, h, f);
    be_.unary(UnaryOp::Gelu, f, f);
    apply(L.down, f, o);
    be_.add(x, o, x);
  }
  st.n_past += n;
  const int n_out = all_logits ? n : 1;
  Tensor last = view_rows(x, all_logits ? 0 : n - 1, n_out);
  Tensor hl = view_rows(h, 0, n_out);
  ln(dec_norm_, last, hl);
  Tensor logits = all_logits ? tmp({c_.n_vocab, n_out, 1, 1}) : st.scratch[9];
  be_.matmul(tok_embd_, hl, logits);
  return logits;
}

}  // namespace

std::unique_ptr<AsrModel> make_whisper(const GgufFile& f, Backend& backend) {
  return std::make_unique<Whisper>(f, backend);
}

}  // namespace sotto
