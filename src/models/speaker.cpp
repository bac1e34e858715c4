// speaker.cpp — the speaker-embedding model on the Backend interface (contract in speaker.h):
//   h = mel {n_mels, T}; per block h = gelu(conv1d(h; K, stride S, pad K/2) + b)            // {C, T_i}
//   p = [mean_t h, sqrt(mean_t (h - mean)^2 + pool_eps)]                                   // {2C}, on the host
//   e = embd.weight p + embd.bias; e / sqrt(|e|^2 + 1e-12)                                 // {D}
#include "models/speaker.h"

#include <cmath>

#include "core/error.h"
#include "core/gguf.h"
#include "models/asr-model.h"

namespace sotto {

bool SpeakerModel::is_speaker_model(const GgufFile& f) {
  return f.get_string_or("general.architecture", "") == "sotto-speaker";
}

SpeakerModel::SpeakerModel(const GgufFile& f, Backend& be) : be_(be) {
  const std::string arch = f.get_string_or("general.architecture", "");
  if (arch != "sotto-speaker") fail(f.path(), ": architecture '", arch, "' is not a speaker model (sotto-speaker)");
  auto get = [&](const std::string& k, int64_t max) {
    const int64_t v = f.get_int("speaker." + k);
    if (v <= 0 || v > max) fail(f.path(), ": metadata speaker.", k, " = ", std::to_string(v), " is out of range");
    return int(v);
  };
  c_.n_mels = get("n_mels", 512);
  c_.n_embd = get("embedding_length", 4096);
  const int n_block = get("block_count", 64);
  c_.pool_eps = float(f.get_float_or("speaker.pool_eps", 1e-5));
  for (int64_t s : f.get_int_array("speaker.conv_strides")) {
    if (s <= 0 || s > 64) fail(f.path(), ": speaker.conv_strides holds ", std::to_string(s), " (1..64)");
    c_.strides.push_back(int(s));
  }
  if (int(c_.strides.size()) != n_block) fail(f.path(), ": speaker.conv_strides has ", std::to_string(c_.strides.size()),
                                              " values for ", std::to_string(n_block), " blocks");
  int64_t c_in = c_.n_mels;
  for (int i = 0; i < n_block; i++) {
    const std::string p = "conv." + std::to_string(i) + ".";
    const GgufTensorInfo* t = f.find_tensor(p + "weight");
    if (!t) fail(f.path(), ": missing tensor ", p, "weight");
    const int64_t k = t->ne[0] / c_in, c_out = t->ne[1];
    if (k * c_in != t->ne[0] || k % 2 == 0 || c_out <= 0) {
      fail(f.path(), ": tensor ", p, "weight has shape ", shape_str(t->ne), ": not an odd kernel over ",
           std::to_string(c_in), " input channels");
    }
    Block b;
    b.w = load_asr_weight(f, be_, p + "weight", {k * c_in, c_out, 1, 1}, Op::Conv1d);
    b.b = load_asr_weight(f, be_, p + "bias", {c_out, 1, 1, 1}, Op::Add);
    convs_.push_back(b);
    c_.kernels.push_back(int(k));
    c_.channels.push_back(int(c_out));
    c_in = c_out;
  }
  embd_w_ = load_asr_weight(f, be_, "embd.weight", {2 * c_in, c_.n_embd, 1, 1}, Op::MatMul);
  embd_b_ = load_asr_weight(f, be_, "embd.bias", {c_.n_embd, 1, 1, 1}, Op::Add);
}

std::vector<float> SpeakerModel::embed_mel(const float* mel, int n_frames) const {
  if (n_frames < 1) fail("speaker embedding: no log-mel frames");
  Tensor h = be_.alloc(DType::F32, {c_.n_mels, n_frames, 1, 1});  // [T, n_mels]
  be_.write(h, mel, size_t(c_.n_mels) * size_t(n_frames) * sizeof(float));
  int64_t t = n_frames;
  for (size_t i = 0; i < convs_.size(); i++) {
    const int k = c_.kernels[i], s = c_.strides[i];
    t = (t + 2 * (k / 2) - k) / s + 1;
    Tensor y = be_.alloc(DType::F32, {c_.channels[i], t, 1, 1});  // [T_i, C_i]
    be_.conv1d(convs_[i].w, h, s, k / 2, y);
    be_.add(y, convs_[i].b, y);
    be_.unary(UnaryOp::Gelu, y, y);
    h = y;
  }
  const int64_t C = c_.channels.back();
  std::vector<float> host(size_t(C * t));
  be_.read(h, host.data(), host.size() * sizeof(float));
  std::vector<float> pooled(size_t(2 * C));  // [means, deviations]
  for (int64_t c = 0; c < C; c++) {
    double sum = 0;
    for (int64_t j = 0; j < t; j++) sum += host[size_t(j * C + c)];
    const double mean = sum / double(t);
    double var = 0;
    for (int64_t j = 0; j < t; j++) {
      const double d = host[size_t(j * C + c)] - mean;
      var += d * d;
    }
    pooled[size_t(c)] = float(mean);
    pooled[size_t(C + c)] = float(std::sqrt(var / double(t) + double(c_.pool_eps)));
  }
  Tensor p = be_.alloc(DType::F32, {2 * C, 1, 1, 1});
  be_.write(p, pooled.data(), pooled.size() * sizeof(float));
  Tensor e = be_.alloc(DType::F32, {c_.n_embd, 1, 1, 1});
  be_.matmul(embd_w_, p, e);
  be_.add(e, embd_b_, e);
  std::vector<float> out(size_t(c_.n_embd));
  be_.read(e, out.data(), out.size() * sizeof(float));
  double norm = 1e-12;
  for (float v : out) norm += double(v) * v;
  const double inv = 1.0 / std::sqrt(norm);
  for (float& v : out) v = float(v * inv);
  return out;
}

}  // namespace sotto
