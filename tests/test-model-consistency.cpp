// test-model-consistency.cpp — properties of the decoder that need no reference: for every architecture,
// decoding a sequence one token at a time, in chunks, or all at once gives the same logits; a model
// written by our GGUF writer in f32 and loaded back runs; bad files and bad shapes give one-line errors.
// Parity against PyTorch is in test-model-parity.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "core/error.h"
#include "core/gguf.h"
#include "core/thread-pool.h"
#include "models/decoder.h"
#include "models/model.h"

using namespace sotto;

namespace {

struct TinyShape {
  std::string arch;
  int n_embd = 64, n_layer = 7, n_head = 4, n_head_kv = 2, head_dim = 16, n_ff = 96, n_vocab = 97;
  int n_ctx = 256;
  int64_t vocab_size_key = -1;  // written as <arch>.vocab_size when >= 0
};

// Writes a random-weight model of `arch` with the GGUF conventions the loader reads.
std::string write_random_model(const TinyShape& s, const std::string& path, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  GgufWriter w;
  const std::string a = s.arch;
  w.set_string("general.architecture", a);
  w.set_u32(a + ".embedding_length", uint32_t(s.n_embd));
  w.set_u32(a + ".block_count", uint32_t(s.n_layer));
  w.set_u32(a + ".feed_forward_length", uint32_t(s.n_ff));
  w.set_u32(a + ".attention.head_count", uint32_t(s.n_head));
  w.set_u32(a + ".attention.head_count_kv", uint32_t(s.n_head_kv));
  w.set_u32(a + ".attention.key_length", uint32_t(s.head_dim));
  w.set_u32(a + ".attention.value_length", uint32_t(s.head_dim));
  w.set_u32(a + ".context_length", uint32_t(s.n_ctx));
  if (s.vocab_size_key >= 0) w.set_u32(a + ".vocab_size", uint32_t(s.vocab_size_key));
  w.set_f32(a + ".attention.layer_norm_rms_epsilon", 1e-5f);
  w.set_f32(a + ".rope.freq_base", 10000.0f);
  if (a == "gemma3") w.set_u32(a + ".attention.sliding_window", 5);
  auto mat = [&](const std::string& name, int64_t n_in, int64_t n_out, float sd) {
    std::vector<float> v(static_cast<size_t>(n_in * n_out));
    for (auto& x : v) x = nd(rng) * sd;
    w.add_tensor(name, DType::F32, {n_in, n_out, 1, 1}, v.data());
  };
  auto vec = [&](const std::string& name, int64_t n, float mean, float sd) {
    std::vector<float> v(static_cast<size_t>(n));
    for (auto& x : v) x = mean + nd(rng) * sd;
    w.add_tensor(name, DType::F32, {n, 1, 1, 1}, v.data());
  };
  const int64_t e = s.n_embd, q = int64_t(s.head_dim) * s.n_head, kv = int64_t(s.head_dim) * s.n_head_kv;
  const float sd = 1.0f / std::sqrt(float(e));
  mat(tn("token_embd"), e, s.n_vocab, a == "gemma3" ? sd : 1.0f);
  vec(tn("output_norm"), e, 1.0f, 0.1f);
  if (a == "llama") mat(tn("output"), e, s.n_vocab, sd);
  for (int il = 0; il < s.n_layer; il++) {
    vec(tn("attn_norm", il), e, 1.0f, 0.1f);
    mat(tn("attn_q", il), e, q, sd);
    mat(tn("attn_k", il), e, kv, sd);
    mat(tn("attn_v", il), e, kv, sd);
    mat(tn("attn_output", il), q, e, 1.0f / std::sqrt(float(q)));
    if (a == "qwen2") {
      vec(tn("attn_q", il, "bias"), q, 0.0f, 0.1f);
      vec(tn("attn_k", il, "bias"), kv, 0.0f, 0.1f);
      vec(tn("attn_v", il, "bias"), kv, 0.0f, 0.1f);
    }
    if (a == "gemma3") {
      vec(tn("attn_q_norm", il), s.head_dim, 1.0f, 0.1f);
      vec(tn("attn_k_norm", il), s.head_dim, 1.0f, 0.1f);
      vec(tn("post_attention_norm", il), e, 1.0f, 0.1f);
      vec(tn("post_ffw_norm", il), e, 1.0f, 0.1f);
    }
    vec(tn("ffn_norm", il), e, 1.0f, 0.1f);
    mat(tn("ffn_gate", il), e, s.n_ff, sd);
    mat(tn("ffn_up", il), e, s.n_ff, sd);
    mat(tn("ffn_down", il), s.n_ff, e, 1.0f / std::sqrt(float(s.n_ff)));
  }
  w.write(path);
  return path;
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("sotto-test-" + name)).string();
}

class Consistency : public ::testing::TestWithParam<std::string> {};

TEST_P(Consistency, BatchChunkedAndStepwiseDecodeAgree) {
  TinyShape s;
  s.arch = GetParam();
  const std::string path = write_random_model(s, temp_path(s.arch + ".gguf"), 7);
  auto f = GgufFile::open(path);
  ThreadPool pool(2);
  auto be = make_cpu_backend(pool);
  auto model = Model::load(*f, *be);
  EXPECT_EQ(model->config().n_vocab, s.n_vocab);
  if (s.arch == "gemma3") {
    EXPECT_FALSE(model->config().layer_swa[5]);
    EXPECT_TRUE(model->config().layer_swa[6]);
  }

  std::vector<int32_t> toks;
  std::mt19937 rng(3);
  for (int i = 0; i < 19; i++) toks.push_back(int32_t(rng() % uint32_t(s.n_vocab)));
  const size_t V = size_t(s.n_vocab);

  for (DType kv : {DType::F32, DType::F16}) {
    KvCache all = model->new_cache(32, kv);
    std::vector<float> ref = model->forward(all, toks.data(), int(toks.size()), true);
    ASSERT_EQ(ref.size(), V * toks.size());
    EXPECT_EQ(all.n_past, int(toks.size()));
    // KV in f16 loses precision; f32 paths differ only by summation order.
    const float tol = kv == DType::F32 ? 2e-4f : 2e-2f;

    KvCache step = model->new_cache(32, kv);
    for (size_t t = 0; t < toks.size(); t++) {
      std::vector<float> lg = model->forward(step, &toks[t], 1, false);
      for (size_t i = 0; i < V; i++) ASSERT_NEAR(lg[i], ref[t * V + i], tol) << "step " << t << " logit " << i;
    }
    KvCache chunked = model->new_cache(32, kv);
    size_t t0 = 0;
    for (int len : {5, 1, 7, 6}) {
      std::vector<float> lg = model->forward(chunked, &toks[t0], len, true);
      for (int j = 0; j < len; j++) {
        for (size_t i = 0; i < V; i++) ASSERT_NEAR(lg[size_t(j) * V + i], ref[(t0 + size_t(j)) * V + i], tol);
      }
      t0 += size_t(len);
    }
  }
  // The logits are not degenerate (a model that ignores its input would pass the checks above).
  KvCache c = model->new_cache(32);
  auto a = model->forward(c, toks.data(), 2, true);
  float diff = 0;
  for (size_t i = 0; i < V; i++) diff = std::max(diff, std::fabs(a[i] - a[V + i]));
  EXPECT_GT(diff, 1e-3f);
  std::filesystem::remove(path);
}

INSTANTIATE_TEST_SUITE_P(Archs, Consistency, ::testing::Values("llama", "qwen2", "gemma3"));

TEST(ModelErrors, ContextOverflowAndBadTokens) {
  TinyShape s;
  s.arch = "llama";
  s.n_layer = 1;
  const std::string path = write_random_model(s, temp_path("overflow.gguf"), 1);
  auto f = GgufFile::open(path);
  ThreadPool pool(1);
  auto be = make_cpu_backend(pool);
  auto model = Model::load(*f, *be);
  KvCache c = model->new_cache(4);
  std::vector<int32_t> toks = {1, 2, 3};
  model->forward(c, toks.data(), 3);
  EXPECT_THROW(model->forward(c, toks.data(), 2), Error);
  KvCache c2 = model->new_cache(4);
  int32_t bad = s.n_vocab;
  EXPECT_THROW(model->forward(c2, &bad, 1), Error);
  std::filesystem::remove(path);
}

// Metadata a corrupt file may carry (issue 15): a training context too short to hold a prompt, a vocab_size
// that disagrees with the embedding (0 included). One-line errors naming the key.
TEST(ModelErrors, MetadataSanity) {
  ThreadPool pool(1);
  auto be = make_cpu_backend(pool);
  auto expect_error = [&](const TinyShape& s, const std::string& n1, const std::string& n2) {
    const std::string path = write_random_model(s, temp_path("meta.gguf"), 1);
    auto f = GgufFile::open(path);
    try {
      Model::load(*f, *be);
      ADD_FAILURE() << "accepted: " << n1;
    } catch (const Error& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find(n1), std::string::npos) << m;
      EXPECT_NE(m.find(n2), std::string::npos) << m;
      EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    }
    std::filesystem::remove(path);
  };
  for (const char* arch : {"llama", "qwen2", "gemma3"}) {
    TinyShape s;
    s.arch = arch;
    s.n_layer = 1;
    s.n_ctx = 3;
    expect_error(s, std::string(arch) + ".context_length = 3", "minimum of 8");
    s.n_ctx = 256;
    s.vocab_size_key = 0;
    expect_error(s, std::string(arch) + ".vocab_size = 0", "97 rows");
    s.vocab_size_key = 98;
    expect_error(s, std::string(arch) + ".vocab_size = 98", "97 rows");
    s.vocab_size_key = 97;
    const std::string path = write_random_model(s, temp_path("meta-ok.gguf"), 1);
    auto f = GgufFile::open(path);
    EXPECT_NO_THROW(Model::load(*f, *be));
    std::filesystem::remove(path);
  }
}

TEST(ModelErrors, WrongShapeAndMissingTensorNameTheTensor) {
  GgufWriter w;
  w.set_string("general.architecture", "qwen2");
  w.set_u32("qwen2.embedding_length", 32);
  w.set_u32("qwen2.block_count", 1);
  w.set_u32("qwen2.feed_forward_length", 64);
  w.set_u32("qwen2.attention.head_count", 2);
  std::vector<float> emb(32 * 10, 0.1f), norm(32, 1.0f), wrong(31 * 32, 0.0f);
  w.add_tensor("token_embd.weight", DType::F32, {32, 10, 1, 1}, emb.data());
  w.add_tensor("output_norm.weight", DType::F32, {32, 1, 1, 1}, norm.data());
  w.add_tensor("blk.0.attn_norm.weight", DType::F32, {32, 1, 1, 1}, norm.data());
  w.add_tensor("blk.0.attn_q.weight", DType::F32, {31, 32, 1, 1}, wrong.data());
  const std::string path = temp_path("badshape.gguf");
  w.write(path);
  auto f = GgufFile::open(path);
  ThreadPool pool(1);
  auto be = make_cpu_backend(pool);
  try {
    Model::load(*f, *be);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("blk.0.attn_q.weight"), std::string::npos) << m;
    EXPECT_NE(m.find(path), std::string::npos) << m;
  }
  std::filesystem::remove(path);
}

TEST(ModelErrors, UnsupportedArchitecture) {
  GgufWriter w;
  w.set_string("general.architecture", "mamba");
  const std::string path = temp_path("mamba.gguf");
  w.write(path);
  auto f = GgufFile::open(path);
  ThreadPool pool(1);
  auto be = make_cpu_backend(pool);
  EXPECT_THROW(Model::load(*f, *be), Error);
  std::filesystem::remove(path);
}

}  // namespace
