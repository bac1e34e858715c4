// siglip.cpp — SigLIP vision encoder + Idefics3 connector (SmolVLM's vision tower). Contract: siglip.h.
#include "models/siglip.h"

#include <cmath>
#include <cstring>

#include "core/error.h"
#include "core/gguf.h"
#include "core/quant.h"
#include "models/linear.h"

namespace sotto {
namespace {

struct Layer {
  Norm ln1, ln2;
  Lin q, k, v, o, up, down;
};

class Siglip final : public VisionModel {
 public:
  Siglip(const GgufFile& f, Backend& be) : f_(f), be_(be), c_(read_vision_config(f)) { load(); }
  const VisionConfig& config() const override { return c_; }
  std::vector<float> encode(const float* pixels) override;
  std::vector<float> embed(const float* pixels) override;
  Tensor embed_device(const float* pixels) override;
  void embed_into(const float* pixels, float* dst) override;

 private:
  void load();
  // The weight `name`, checked against the shape `ne` the file must have, seen as `as` (same element count).
  Tensor weight(const std::string& name, Shape ne, Op op, Shape as = {0, 0, 0, 0});
  Lin lin(const std::string& p, int64_t n_in, int64_t n_out, bool bias = true) {
    return {weight(p + ".weight", {n_in, n_out, 1, 1}, Op::MatMul), bias ? weight(p + ".bias", {n_out, 1, 1, 1}, Op::Add) : Tensor{}};
  }
  Norm norm(const std::string& p) {
    return {weight(p + ".weight", {c_.n_embd, 1, 1, 1}, Op::Add), weight(p + ".bias", {c_.n_embd, 1, 1, 1}, Op::Add)};
  }
  void apply(const Lin& l, const Tensor& x, Tensor& y) { apply_lin(be_, l, x, y); }
  Tensor tmp(Shape ne) { return be_.alloc(DType::F32, ne); }
  Tensor run_encoder(const float* pixels);  // {n_embd, n_patches} on the backend

  const GgufFile& f_;
  Backend& be_;
  VisionConfig c_;
  Lin patch_;
  Tensor pos_, fc_;
  Norm post_ln_;
  std::vector<Layer> layers_;
  std::vector<int32_t> shuffle_rows_;  // pixel_shuffle_rows(): the connector's gather order
  std::vector<std::vector<float>> converted_;  // f32 copies of f16/bf16 vectors (the CPU backend keeps views)
};

Tensor Siglip::weight(const std::string& name, Shape ne, Op op, Shape as) {
  const GgufTensorInfo* t = f_.find_tensor(name);
  if (!t) fail(f_.path(), ": missing tensor ", name);
  if (t->ne != ne) fail(f_.path(), ": tensor ", name, " has shape ", shape_str(t->ne), ", expected ", shape_str(ne));
  Tensor host = t->view;
  if (as[0] != 0) host.ne = as;
  if (op == Op::MatMul) {
    if (!be_.supports(op, t->type)) {
      fail(f_.path(), ": tensor ", name, " has type ", dtype_name(t->type), ", which the ", be_.name(), " backend cannot use here");
    }
    return be_.upload(host);
  }
  if (t->type != DType::F32) {  // norms, biases, position embeddings: used as f32 (converters may write f16)
    if (t->type != DType::F16 && t->type != DType::BF16) {
      fail(f_.path(), ": tensor ", name, " must be f32, f16 or bf16, is ", dtype_name(t->type));
    }
    std::vector<float> v(size_t(host.nelements()));
    for (int64_t r = 0; r < host.nrows(); r++) {
      dequantize_row(t->type, static_cast<const uint8_t*>(host.data) + size_t(r) * host.row_bytes(), v.data() + r * host.ne[0],
                     host.ne[0]);
    }
    converted_.push_back(std::move(v));
    host.type = DType::F32;
    host.data = converted_.back().data();
  }
  return be_.upload(host);
}

void Siglip::load() {
  const int64_t d = c_.n_embd, ff = c_.n_ff, p = c_.patch_size, n = c_.n_patches();
  patch_.w = weight("v.patch_embd.weight", {p, p, 3, d}, Op::MatMul, {3 * p * p, d, 1, 1});
  patch_.b = weight("v.patch_embd.bias", {d, 1, 1, 1}, Op::Add);
  pos_ = weight("v.position_embd.weight", {d, n, 1, 1}, Op::Add);
  for (int il = 0; il < c_.n_layer; il++) {
    const std::string b = "v.blk." + std::to_string(il) + ".";
    Layer L;
    L.ln1 = norm(b + "ln1");
    L.ln2 = norm(b + "ln2");
    L.q = lin(b + "attn_q", d, d);
    L.k = lin(b + "attn_k", d, d);
    L.v = lin(b + "attn_v", d, d);
    L.o = lin(b + "attn_out", d, d);
    const std::string up = c_.ffn_swapped ? "ffn_down" : "ffn_up", down = c_.ffn_swapped ? "ffn_up" : "ffn_down";
    L.up = lin(b + up, d, ff);
    L.down = lin(b + down, ff, d);
    layers_.push_back(std::move(L));
  }
  post_ln_ = norm("v.post_ln");
  const int64_t s = c_.scale_factor;
  fc_ = weight("mm.model.fc.weight", {d * s * s, c_.proj_dim, 1, 1}, Op::MatMul);
  shuffle_rows_ = pixel_shuffle_rows(int(n), int(s));
}

Tensor Siglip::run_encoder(const float* pixels) {
  const int64_t d = c_.n_embd, ff = c_.n_ff, p = c_.patch_size, n = c_.n_patches(), side = c_.image_size / p;
  const int64_t S = c_.image_size, kp = 3 * p * p;
  // Patches as columns of the conv weight's layout: [n][c][ky][kx].
  std::vector<float> cols(size_t(kp * n));
  for (int64_t py = 0; py < side; py++) {
    for (int64_t px = 0; px < side; px++) {
      float* dst = &cols[size_t((py * side + px) * kp)];
      for (int64_t c = 0; c < 3; c++) {
        for (int64_t ky = 0; ky < p; ky++) {
          std::memcpy(dst + (c * p + ky) * p, pixels + (c * S + py * p + ky) * S + px * p, size_t(p) * sizeof(float));
        }
      }
    }
  }
  Tensor xin = tmp({kp, n, 1, 1});
  be_.write(xin, cols.data(), cols.size() * sizeof(float));
  Tensor x = tmp({d, n, 1, 1}), h = tmp({d, n, 1, 1}), q = tmp({d, n, 1, 1}), k = tmp({d, n, 1, 1}),
         v = tmp({d, n, 1, 1}), a = tmp({d, n, 1, 1}), o = tmp({d, n, 1, 1}), u = tmp({ff, n, 1, 1}),
         ones = tmp({ff, n, 1, 1});
  apply(patch_, xin, x);
  be_.add(x, pos_, x);
  {
    std::vector<float> one(size_t(ff * n), 1.0f);
    be_.write(ones, one.data(), one.size() * sizeof(float));
  }
  const int64_t hd = d / c_.n_head;
  AttnParams ap;
  ap.scale = 1.0f / std::sqrt(float(hd));
  ap.causal = false;
  for (const Layer& L : layers_) {
    be_.layer_norm(x, L.ln1.w, L.ln1.b, c_.norm_eps, h);
    apply(L.q, h, q);
    apply(L.k, h, k);
    apply(L.v, h, v);
    Tensor q3 = reshape(q, {hd, c_.n_head, n, 1}), a3 = reshape(a, {hd, c_.n_head, n, 1});
    be_.attention(q3, k, v, c_.n_head, 0, ap, a3);
    apply(L.o, a, o);
    be_.add(x, o, x);
    be_.layer_norm(x, L.ln2.w, L.ln2.b, c_.norm_eps, h);
    apply(L.up, h, u);
    be_.geglu(u, ones, u);  // gelu_tanh(u) * 1: the backend's tanh-approximated GELU (SigLIP's gelu_pytorch_tanh)
    apply(L.down, u, o);
    be_.add(x, o, x);
    be_.submit_point();
  }
  be_.layer_norm(x, post_ln_.w, post_ln_.b, c_.norm_eps, x);
  return x;
}

std::vector<float> Siglip::encode(const float* pixels) {
  Tensor x = run_encoder(pixels);
  std::vector<float> out(size_t(x.nelements()));
  be_.read(x, out.data(), out.size() * sizeof(float));
  return out;
}

Tensor Siglip::embed_device(const float* pixels) {
  const int64_t s = c_.scale_factor, d = c_.n_embd, nt = c_.n_tokens();
  const Tensor x = run_encoder(pixels);  // {d, n_patches}: rows are patches
  // The pixel shuffle as a gather of patch rows in the connector's order: {d, nt * s * s} is {d * s * s, nt}.
  Tensor xs = tmp({d, nt * s * s, 1, 1});
  be_.get_rows(x, shuffle_rows_.data(), int(shuffle_rows_.size()), xs);
  Tensor y = tmp({c_.proj_dim, nt, 1, 1});
  be_.matmul(fc_, reshape(xs, {d * s * s, nt, 1, 1}), y);
  return y;
}

void Siglip::embed_into(const float* pixels, float* dst) {
  const Tensor y = embed_device(pixels);
  be_.read(y, dst, size_t(y.nelements()) * sizeof(float));
  be_.sync();
}

std::vector<float> Siglip::embed(const float* pixels) {
  std::vector<float> out(size_t(c_.n_tokens()) * size_t(c_.proj_dim));
  embed_into(pixels, out.data());
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

bool is_vision_file(const GgufFile& f) {
  return f.get_string_or("general.architecture", "") == "clip" || f.has("clip.projector_type");
}

VisionConfig read_vision_config(const GgufFile& f) {
  VisionConfig c;
  if (!is_vision_file(f)) {
    fail(f.path(), ": not a vision projector file (general.architecture is '", f.get_string_or("general.architecture", ""),
         "', expected 'clip' as an mmproj GGUF has)");
  }
  if (!f.get_bool_or("clip.has_vision_encoder", true)) fail(f.path(), ": this projector file has no vision encoder");
  c.projector = f.get_string_or("clip.projector_type", "");
  if (c.projector != "idefics3") {
    fail(f.path(), ": projector type '", c.projector, "' is not supported (supported: idefics3, the SmolVLM family)");
  }
  c.image_size = get_checked(f, "clip.vision.image_size", 4096);
  c.patch_size = get_checked(f, "clip.vision.patch_size", 256);
  c.n_embd = get_checked(f, "clip.vision.embedding_length", 1 << 14);
  c.n_ff = get_checked(f, "clip.vision.feed_forward_length", 1 << 16);
  c.n_layer = get_checked(f, "clip.vision.block_count", 256);
  c.n_head = get_checked(f, "clip.vision.attention.head_count", 256);
  c.norm_eps = float(f.get_float_or("clip.vision.attention.layer_norm_epsilon", 1e-6));
  c.scale_factor = int(f.get_int_or("clip.vision.projector.scale_factor", 2));
  if (c.image_size % c.patch_size != 0) fail(f.path(), ": image_size is not a multiple of patch_size");
  if (c.n_embd % c.n_head != 0) fail(f.path(), ": embedding_length does not split into ", std::to_string(c.n_head), " heads");
  const int side = c.image_size / c.patch_size;
  if (c.scale_factor <= 0 || side % c.scale_factor != 0) {
    fail(f.path(), ": projector.scale_factor ", std::to_string(c.scale_factor), " does not divide the ", std::to_string(side),
         " patches a side");
  }
  for (const char* k : {"clip.vision.image_mean", "clip.vision.image_std"}) {
    if (!f.has(k)) continue;
    const std::vector<double> v = f.get_float_array(k);
    if (v.size() != 3) fail(f.path(), ": metadata ", k, " must have 3 values");
    for (int i = 0; i < 3; i++) (std::strcmp(k, "clip.vision.image_mean") == 0 ? c.image_mean : c.image_std)[i] = float(v[size_t(i)]);
  }
  for (float s : c.image_std) {
    if (!(s > 0.0f)) fail(f.path(), ": clip.vision.image_std must be positive");
  }
  const GgufTensorInfo& fc = f.tensor("mm.model.fc.weight");
  c.proj_dim = int(fc.ne[1]);
  if (f.has("clip.vision.projection_dim") && f.get_int("clip.vision.projection_dim") != c.proj_dim) {
    fail(f.path(), ": clip.vision.projection_dim = ", std::to_string(f.get_int("clip.vision.projection_dim")),
         " but mm.model.fc.weight has ", std::to_string(c.proj_dim), " rows");
  }
  if (const GgufTensorInfo* up = f.find_tensor("v.blk.0.ffn_up.weight")) {
    c.ffn_swapped = up->ne[0] == c.n_ff && c.n_ff != c.n_embd;
  }
  return c;
}

std::unique_ptr<VisionModel> VisionModel::load(const GgufFile& f, Backend& be) { return std::make_unique<Siglip>(f, be); }

std::vector<int32_t> pixel_shuffle_rows(int n, int s) {
  const int side = int(std::lround(std::sqrt(double(n))));
  if (s <= 0 || side * side != n || side % s != 0) fail("pixel_shuffle: bad shape");
  const int so = side / s;
  std::vector<int32_t> rows;
  rows.reserve(size_t(n));
  for (int R = 0; R < so; R++) {
    for (int C = 0; C < so; C++) {
      for (int dy = 0; dy < s; dy++) {
        for (int dx = 0; dx < s; dx++) rows.push_back((R * s + dy) * side + C * s + dx);
      }
    }
  }
  return rows;
}

std::vector<float> pixel_shuffle(const std::vector<float>& x, int n, int d, int s) {
  const std::vector<int32_t> rows = pixel_shuffle_rows(n, s);
  if (x.size() != size_t(n) * size_t(d)) fail("pixel_shuffle: bad shape");
  std::vector<float> out(x.size());
  for (size_t i = 0; i < rows.size(); i++) {
    std::memcpy(&out[i * size_t(d)], &x[size_t(rows[i]) * size_t(d)], size_t(d) * sizeof(float));
  }
  return out;
}

}  // namespace sotto
