// test-model-qwen3-embed.cpp — the decoder-based embedder's model side: the qwen3 architecture (models/qwen3.cpp,
// per-head q/k RMSNorm) and Model::forward_hidden (the last token's final-normed hidden state) against the PyTorch
// reference (tools/ref/arch.py) through tools/ref/make_qwen3_embed_fixtures.py: a tiny random-weight Qwen3-Embedding
// shape (d 64, 2 layers, 4 heads / 2 KV heads, head_dim 16, tied) with f32 and q8_0 matrices; the reference ran in
// float64 on exactly the stored weights, each text (2 to 95 tokens, EOS last) alone.
// Tolerances (max |diff|): L2-normalised last-token embedding f32 1e-6 (measured 8.5e-8), q8_0 1e-2
// (measured 3.2e-3) and cosine >= 0.999; the last
// token's logits (the same decoder as a language model) f32 1e-4 sd, q8_0 0.2 sd (test-model-parity's bars).
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "core/gguf.h"
#include "core/thread-pool.h"
#include "models/model.h"

using namespace sotto;

namespace {

const std::string kDir = std::string(SOTTO_SOURCE_DIR) + "/tests/fixtures/embed/";

class Qwen3Embed : public ::testing::TestWithParam<std::string> {};

TEST_P(Qwen3Embed, LastTokenEmbeddingAndLogitsMatchPyTorch) {
  const std::string t = GetParam();
  const bool q8 = t == "q8_0";
  auto f = GgufFile::open(kDir + "qwen3-embed-" + t + ".gguf");
  auto ref = GgufFile::open(kDir + "qwen3-embed-" + t + ".ref.gguf");
  ThreadPool pool(2);
  auto be = make_cpu_backend(pool);
  auto m = Model::load(*f, *be);
  const ModelConfig& c = m->config();
  EXPECT_EQ(c.arch, Arch::Qwen3);
  EXPECT_TRUE(c.qk_norm);
  EXPECT_FALSE(c.qkv_bias);
  const int32_t* tok = ref->tensor("tokens").view.as<const int32_t>();
  const int32_t* off = ref->tensor("offsets").view.as<const int32_t>();
  const int64_t n_text = ref->tensor("offsets").ne[0] - 1;
  ASSERT_EQ(n_text, 4);
  const float* embd = ref->tensor("embd").view.as<const float>();
  const float* logits = ref->tensor("logits").view.as<const float>();
  const size_t d = size_t(c.n_embd), V = size_t(c.n_vocab);
  for (int64_t s = 0; s < n_text; s++) {
    const int n = off[s + 1] - off[s];
    KvCache cache = m->new_cache(n, DType::F32);
    std::vector<float> h = m->forward_hidden(cache, tok + off[s], n);
    ASSERT_EQ(h.size(), d);
    double ss = 0, dot = 0, md = 0;
    for (float v : h) ss += double(v) * v;
    for (size_t i = 0; i < d; i++) {
      const double e = h[i] / std::sqrt(ss);
      dot += e * embd[size_t(s) * d + i];
      md = std::max(md, std::fabs(e - embd[size_t(s) * d + i]));
    }
    EXPECT_LE(md, q8 ? 1e-2 : 1e-6) << t << " text " << s;
    EXPECT_GE(dot, 0.999) << t << " text " << s;
    KvCache c2 = m->new_cache(n, DType::F32);
    const std::vector<float> lg = m->forward(c2, tok + off[s], n);
    double mean = 0, var = 0, ml = 0;
    for (size_t i = 0; i < V; i++) mean += logits[size_t(s) * V + i];
    mean /= double(V);
    for (size_t i = 0; i < V; i++) var += std::pow(logits[size_t(s) * V + i] - mean, 2);
    const double sd = std::sqrt(var / double(V));
    for (size_t i = 0; i < V; i++) ml = std::max(ml, double(std::fabs(lg[i] - logits[size_t(s) * V + i])));
    EXPECT_LE(ml, (q8 ? 0.2 : 1e-4) * sd) << t << " text " << s;
    std::printf("[ %s text %lld ] embedding max |diff| %.3g, logits max |diff| %.3g sd\n", t.c_str(), (long long)s, md, ml / sd);
  }
}

INSTANTIATE_TEST_SUITE_P(Types, Qwen3Embed, ::testing::Values("f32", "q8_0"));

}  // namespace
