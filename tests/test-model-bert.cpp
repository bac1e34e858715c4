// test-model-bert.cpp — the BERT embedding model (models/bert.h) against the PyTorch reference (tools/ref/bert_ref.py)
// through tools/ref/make_bert_fixtures.py (tests/fixtures/embed): a tiny random-weight BERT (d 64, ff 128, 2 layers,
// 4 heads, context 64) with f32, f16 and q8_0 matrices; the reference ran in float64 on exactly the stored weights,
// all six texts (2 to 58 tokens, [CLS] ... [SEP]) as one padded batch with an attention mask.
// Tolerances, max |diff| over every value of the L2-normalised embeddings (|e| = 1, values ~0.1):
//   f32, f16 weights: 1e-6 (f32 arithmetic against float64; weights exact; measured 7.5e-8);
//   q8_0: 1e-2 and cosine >= 0.999 per text (the engine quantizes activations to 8 bits in quantized matmuls;
//   measured 3.7e-3);
//   un-normalised CLS: 1e-5 (f32, f16; measured 1.6e-7) or 2e-2 (q8_0) relative to the largest |value|.
// Also: a text's embedding does not depend on its batch (alone, in another order: max |diff| <= 1e-6), the file's
// pooling type is read, and one-line errors for a non-BERT file, a text over the context and an id out of range.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/gguf.h"
#include "core/thread-pool.h"
#include "models/bert.h"

using namespace sotto;

namespace {

const std::string kDir = std::string(SOTTO_SOURCE_DIR) + "/tests/fixtures/embed/";

std::vector<std::vector<int32_t>> ref_seqs(const GgufFile& ref) {
  const int32_t* tok = ref.tensor("tokens").view.as<const int32_t>();
  const int32_t* off = ref.tensor("offsets").view.as<const int32_t>();
  std::vector<std::vector<int32_t>> s;
  for (int64_t i = 0; i + 1 < ref.tensor("offsets").ne[0]; i++) s.emplace_back(tok + off[i], tok + off[i + 1]);
  return s;
}

double max_diff(const std::vector<float>& a, const float* b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); i++) m = std::max(m, double(std::fabs(a[i] - b[i])));
  return m;
}

struct Case {
  const char* type;
  double tol;
  Pooling file_pooling;
};

class BertParity : public ::testing::TestWithParam<Case> {};

TEST_P(BertParity, EmbeddingsMatchPyTorch) {
  const Case c = GetParam();
  auto f = GgufFile::open(kDir + "bert-" + c.type + ".gguf");
  auto ref = GgufFile::open(kDir + "bert-" + c.type + ".ref.gguf");
  ThreadPool pool(2);
  auto be = make_cpu_backend(pool);
  auto m = BertModel::load(*f, *be);
  const BertConfig& cfg = m->config();
  EXPECT_EQ(cfg.n_embd, 64);
  EXPECT_EQ(cfg.n_layer, 2);
  EXPECT_EQ(cfg.n_ctx, 64);
  EXPECT_EQ(cfg.n_token_types, 2);
  EXPECT_EQ(cfg.pooling, c.file_pooling);
  const auto seqs = ref_seqs(*ref);
  ASSERT_EQ(seqs.size(), 6u);
  const size_t d = size_t(cfg.n_embd);
  for (auto [name, pooling, norm] : {std::tuple{"cls", Pooling::Cls, true}, std::tuple{"mean", Pooling::Mean, true},
                                     std::tuple{"cls_raw", Pooling::Cls, false}}) {
    const std::vector<float> got = m->embed(seqs, pooling, norm);
    const auto& t = ref->tensor(name);
    ASSERT_EQ(got.size(), size_t(t.view.nelements())) << name;
    const float* want = t.view.as<const float>();
    double tol = c.tol;
    if (!norm) {
      double big = 0;
      for (size_t i = 0; i < got.size(); i++) big = std::max(big, double(std::fabs(want[i])));
      tol = (std::string(c.type) == "q8_0" ? 2e-2 : 1e-5) * big;
    }
    const double diff = max_diff(got, want);
    EXPECT_LE(diff, tol) << c.type << " " << name;
    std::printf("[ %s %-7s ] max |diff| %.3g (tolerance %.3g)\n", c.type, name, diff, tol);
    for (size_t s = 0; s < seqs.size() && norm; s++) {
      double dot = 0;
      for (size_t i = 0; i < d; i++) dot += double(got[s * d + i]) * want[s * d + i];
      EXPECT_GE(dot, 0.999) << c.type << " " << name << " text " << s;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Types, BertParity,
                         ::testing::Values(Case{"f32", 1e-6, Pooling::Cls}, Case{"f16", 1e-6, Pooling::Mean},
                                           Case{"q8_0", 1e-2, Pooling::Cls}),
                         [](const auto& info) { return std::string(info.param.type); });

TEST(Bert, BatchDoesNotChangeEmbeddings) {
  auto f = GgufFile::open(kDir + "bert-f32.gguf");
  auto ref = GgufFile::open(kDir + "bert-f32.ref.gguf");
  ThreadPool pool(2);
  auto be = make_cpu_backend(pool);
  auto m = BertModel::load(*f, *be);
  const auto seqs = ref_seqs(*ref);
  const size_t d = size_t(m->config().n_embd);
  for (Pooling p : {Pooling::Cls, Pooling::Mean}) {
    const std::vector<float> all = m->embed(seqs, p, true);
    std::vector<std::vector<int32_t>> rev(seqs.rbegin(), seqs.rend());
    const std::vector<float> back = m->embed(rev, p, true);
    for (size_t s = 0; s < seqs.size(); s++) {
      const std::vector<float> one = m->embed({seqs[s]}, p, true);
      EXPECT_LE(max_diff(one, all.data() + s * d), 1e-6) << "text " << s << " alone";
      EXPECT_LE(max_diff(one, back.data() + (seqs.size() - 1 - s) * d), 1e-6) << "text " << s << " reversed batch";
    }
  }
}

TEST(Bert, Errors) {
  ThreadPool pool(1);
  auto be = make_cpu_backend(pool);
  auto expect_error = [](auto fn, const std::string& part) {
    try {
      fn();
      ADD_FAILURE() << "no error, expected: " << part;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    }
  };
  auto llama = GgufFile::open(std::string(SOTTO_SOURCE_DIR) + "/tests/fixtures/models/smollm2-f32.gguf");
  expect_error([&] { BertModel::load(*llama, *be); }, "not a BERT embedding model");
  auto f = GgufFile::open(kDir + "bert-f32.gguf");
  auto m = BertModel::load(*f, *be);
  expect_error([&] { m->embed({std::vector<int32_t>(65, 5)}, Pooling::Cls, true); }, "more than the model's context of 64");
  expect_error([&] { m->embed({{2, 100000, 3}}, Pooling::Cls, true); }, "token id 100000 is not in the vocabulary");
  expect_error([&] { m->embed({{}}, Pooling::Cls, true); }, "has no tokens");
  EXPECT_EQ(m->embed({}, Pooling::Cls, true).size(), 0u);
}

}  // namespace
