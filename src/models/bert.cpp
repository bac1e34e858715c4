// bert.cpp — the BERT encoder (all-MiniLM, bge) as an embedding model. Contract: bert.h.
#include "models/bert.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/gguf.h"
#include "models/linear.h"

namespace sotto {
namespace {

struct Layer {
  Lin q, k, v, o, up, down;
  Norm attn_out_norm, out_norm;
};

class Bert final : public BertModel {
 public:
  Bert(const GgufFile& f, Backend& be) : f_(f), be_(be), c_(read_bert_config(f)) { load(); }
  const BertConfig& config() const override { return c_; }
  std::vector<float> embed(const std::vector<std::vector<int32_t>>& texts, Pooling pooling, bool normalize) override;
  std::vector<float> hidden(const std::vector<std::vector<int32_t>>& texts) override;

 private:
  void load();
  Tensor weight(const std::string& name, Shape ne, Op op) { return load_weight(f_, be_, name, ne, op); }
  Tensor vec(const std::string& name, int64_t n) { return weight(name, {n, 1, 1, 1}, Op::Add); }
  Lin lin(const std::string& p, int64_t n_in, int64_t n_out) {
    return {weight(p + ".weight", {n_in, n_out, 1, 1}, Op::MatMul), vec(p + ".bias", n_out)};
  }
  Norm norm(const std::string& p) { return {vec(p + ".weight", c_.n_embd), vec(p + ".bias", c_.n_embd)}; }
  void apply(const Lin& l, const Tensor& x, Tensor& y) { apply_lin(be_, l, x, y); }
  void ln(const Norm& n, Tensor& x) { be_.layer_norm(x, n.w, n.b, c_.norm_eps, x); }
  Tensor tmp(Shape ne) { return be_.alloc(DType::F32, ne); }

  const GgufFile& f_;
  Backend& be_;
  BertConfig c_;
  Tensor tok_, types_, pos_;
  Norm embd_norm_;
  std::vector<Layer> layers_;
};

void Bert::load() {
  const int64_t d = c_.n_embd, ff = c_.n_ff;
  tok_ = weight("token_embd.weight", {d, c_.n_vocab, 1, 1}, Op::GetRows);
  if (c_.n_token_types > 0) types_ = weight("token_types.weight", {d, c_.n_token_types, 1, 1}, Op::GetRows);
  pos_ = weight("position_embd.weight", {d, c_.n_ctx, 1, 1}, Op::GetRows);
  embd_norm_ = norm("token_embd_norm");
  for (int il = 0; il < c_.n_layer; il++) {
    const std::string b = "blk." + std::to_string(il) + ".";
    Layer L;
    L.q = lin(b + "attn_q", d, d);
    L.k = lin(b + "attn_k", d, d);
    L.v = lin(b + "attn_v", d, d);
    L.o = lin(b + "attn_output", d, d);
    L.attn_out_norm = norm(b + "attn_output_norm");
    L.up = lin(b + "ffn_up", d, ff);
    L.down = lin(b + "ffn_down", ff, d);
    L.out_norm = norm(b + "layer_output_norm");
    layers_.push_back(std::move(L));
  }
}

std::vector<float> Bert::hidden(const std::vector<std::vector<int32_t>>& texts) {
  const int64_t d = c_.n_embd, ff = c_.n_ff, hd = d / c_.n_head;
  std::vector<int32_t> ids, pos;
  for (const auto& t : texts) {
    if (t.empty()) fail("bert: a text has no tokens");
    if (t.size() > size_t(c_.n_ctx)) {
      fail("bert: a text has ", std::to_string(t.size()), " tokens, more than the model's context of ",
           std::to_string(c_.n_ctx));
    }
    for (size_t i = 0; i < t.size(); i++) {
      if (t[i] < 0 || t[i] >= c_.n_vocab) fail("bert: token id ", std::to_string(t[i]), " is not in the vocabulary");
      ids.push_back(t[i]);
      pos.push_back(int32_t(i));
    }
  }
  if (ids.empty()) return {};
  const int64_t n = int64_t(ids.size());
  Tensor x = tmp({d, n, 1, 1}), h = tmp({d, n, 1, 1}), q = tmp({d, n, 1, 1}), k = tmp({d, n, 1, 1}),
         v = tmp({d, n, 1, 1}), a = tmp({d, n, 1, 1}), u = tmp({ff, n, 1, 1});
  be_.get_rows(tok_, ids.data(), int(n), x);
  be_.get_rows(pos_, pos.data(), int(n), h);
  be_.add(x, h, x);
  if (!types_.empty()) {  // every token is of type 0 (one segment)
    Tensor t0 = tmp({d, 1, 1, 1});
    const int32_t zero = 0;
    be_.get_rows(types_, &zero, 1, t0);
    be_.add(x, t0, x);
  }
  ln(embd_norm_, x);
  AttnParams ap;
  ap.scale = 1.0f / std::sqrt(float(hd));
  ap.causal = false;
  for (const Layer& L : layers_) {
    apply(L.q, x, q);
    apply(L.k, x, k);
    apply(L.v, x, v);
    int64_t r0 = 0;
    for (const auto& t : texts) {  // attention within each text: its rows of q, k, v only
      const int64_t nt = int64_t(t.size());
      Tensor qs = reshape(view_rows(q, r0, nt), {hd, c_.n_head, nt, 1});
      Tensor as = reshape(view_rows(a, r0, nt), {hd, c_.n_head, nt, 1});
      be_.attention(qs, view_rows(k, r0, nt), view_rows(v, r0, nt), c_.n_head, 0, ap, as);
      r0 += nt;
    }
    apply(L.o, a, h);
    be_.add(x, h, x);
    ln(L.attn_out_norm, x);
    apply(L.up, x, u);
    be_.unary(UnaryOp::Gelu, u, u);
    apply(L.down, u, h);
    be_.add(x, h, x);
    ln(L.out_norm, x);
    be_.submit_point();
  }
  std::vector<float> out(size_t(x.nelements()));
  be_.read(x, out.data(), out.size() * sizeof(float));
  return out;
}

std::vector<float> Bert::embed(const std::vector<std::vector<int32_t>>& texts, Pooling pooling, bool normalize) {
  const std::vector<float> rows = hidden(texts);
  std::vector<float> out;
  out.reserve(texts.size() * size_t(c_.n_embd));
  size_t r0 = 0;
  for (const auto& t : texts) {
    const std::vector<float> e = pool_rows(rows.data() + r0 * size_t(c_.n_embd), int(t.size()), c_.n_embd, pooling, normalize);
    out.insert(out.end(), e.begin(), e.end());
    r0 += t.size();
  }
  return out;
}

int get_checked(const GgufFile& f, const std::string& key, int64_t max) {
  const int64_t v = f.get_int(key);
  if (v <= 0 || v > max) {
    fail(f.path(), ": metadata ", key, " = ", std::to_string(v), " is out of range (1..", std::to_string(max), ")");
  }
  return int(v);
}

}  // namespace

const char* pooling_name(Pooling p) {
  switch (p) {
    case Pooling::None: return "none";
    case Pooling::Mean: return "mean";
    case Pooling::Cls: return "cls";
    case Pooling::Last: return "last";
  }
  return "?";
}

bool is_bert_file(const GgufFile& f) { return f.get_string_or("general.architecture", "") == "bert"; }

BertConfig read_bert_config(const GgufFile& f) {
  if (!is_bert_file(f)) {
    fail(f.path(), ": not a BERT embedding model (general.architecture is '", f.get_string_or("general.architecture", ""),
         "', expected 'bert')");
  }
  BertConfig c;
  c.n_embd = get_checked(f, "bert.embedding_length", 1 << 14);
  c.n_ff = get_checked(f, "bert.feed_forward_length", 1 << 16);
  c.n_layer = get_checked(f, "bert.block_count", 256);
  c.n_head = get_checked(f, "bert.attention.head_count", 256);
  c.n_ctx = get_checked(f, "bert.context_length", 1 << 20);
  c.norm_eps = float(f.get_float_or("bert.attention.layer_norm_epsilon", 1e-12));
  if (!(c.norm_eps >= 0.0f) || c.norm_eps > 1.0f) fail(f.path(), ": bert.attention.layer_norm_epsilon is out of range");
  if (c.n_embd % c.n_head != 0) fail(f.path(), ": embedding_length does not split into ", std::to_string(c.n_head), " heads");
  if (f.get_bool_or("bert.attention.causal", false)) fail(f.path(), ": bert.attention.causal is true (not a BERT encoder)");
  const int64_t pt = f.get_int_or("bert.pooling_type", int64_t(Pooling::Cls));
  if (pt == 1 || pt == 2 || pt == 3) {
    c.pooling = Pooling(pt);
  } else {
    fail(f.path(), ": bert.pooling_type ", std::to_string(pt), " is not supported (1 mean, 2 cls, 3 last)");
  }
  const GgufTensorInfo& te = f.tensor("token_embd.weight");
  if (te.ne[0] != c.n_embd || te.ne[1] < 1 || te.ne[1] > (1 << 24)) {
    fail(f.path(), ": token_embd.weight has shape ", shape_str(te.ne), ", expected [", std::to_string(c.n_embd), ", n_vocab]");
  }
  c.n_vocab = int(te.ne[1]);
  if (const GgufTensorInfo* tt = f.find_tensor("token_types.weight")) {
    if (tt->ne[1] < 1 || tt->ne[1] > 16) fail(f.path(), ": token_types.weight has ", std::to_string(tt->ne[1]), " rows (1..16)");
    c.n_token_types = int(tt->ne[1]);
  }
  return c;
}

std::unique_ptr<BertModel> BertModel::load(const GgufFile& f, Backend& be) { return std::make_unique<Bert>(f, be); }

std::vector<float> pool_rows(const float* rows, int n_tok, int n_embd, Pooling p, bool normalize) {
  if (n_tok <= 0) fail("pool_rows: no tokens");
  std::vector<double> acc(size_t(n_embd), 0.0);
  switch (p) {
    case Pooling::Cls:
    case Pooling::Last: {
      const float* r = rows + size_t(p == Pooling::Cls ? 0 : n_tok - 1) * size_t(n_embd);
      for (int i = 0; i < n_embd; i++) acc[size_t(i)] = r[i];
      break;
    }
    case Pooling::Mean:
      for (int t = 0; t < n_tok; t++) {
        for (int i = 0; i < n_embd; i++) acc[size_t(i)] += rows[size_t(t) * size_t(n_embd) + size_t(i)];
      }
      for (double& a : acc) a /= double(n_tok);
      break;
    case Pooling::None:
      fail("pool_rows: no pooling given");
  }
  double norm = 1.0;
  if (normalize) {
    double ss = 0;
    for (double a : acc) ss += a * a;
    norm = std::max(std::sqrt(ss), 1e-12);  // as torch.nn.functional.normalize (eps 1e-12)
  }
  std::vector<float> pooled(static_cast<size_t>(n_embd));
  for (int i = 0; i < n_embd; i++) pooled[size_t(i)] = float(acc[size_t(i)] / norm);
  return pooled;
}

}  // namespace sotto
