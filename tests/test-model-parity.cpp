// test-model-parity.cpp — the engine's logits against the PyTorch reference (tools/ref/arch.py), for every
// architecture and weight type in tests/fixtures/models (made by tools/ref/make_fixtures.py). The reference
// ran in float64 on exactly the weights stored in the file (dequantized), so the only differences are the
// engine's arithmetic: f32 accumulation everywhere, and for Q8_0/Q4_0/Q4_K weights the 8-bit quantization of
// activations inside the quantized matmul (as llama.cpp does).
//
// Tolerances, as fractions of the standard deviation of the reference logits (sd):
//   f32, f16, bf16 weights: max |diff| <= 1e-4 sd               (f32 arithmetic against float64)
//   q8_0, q4_0, q4_k:       max |diff| <= 0.2 sd, rms <= 0.04 sd (8-bit activations: each activation
//                           carries up to max|x|/254 of rounding error, about 0.6% of its block's rms)
// and for every type the arg-max token of each position must agree wherever the reference's top two
// logits are separated by more than twice the max tolerance.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "core/gguf.h"
#include "core/thread-pool.h"
#include "models/model.h"
#include "parity-fixtures.h"

using namespace sotto;

namespace {

// SOTTO_PARITY_DIR points the test at other fixtures, e.g. the real-size ones of tools/ref/make_real.py.
const char* kEnvDir = std::getenv("SOTTO_PARITY_DIR");
const std::string kDir = kEnvDir ? std::string(kEnvDir) + "/" : std::string(SOTTO_SOURCE_DIR) + "/tests/fixtures/models/";

std::vector<std::string> fixtures() { return parity_fixtures(kDir); }

bool quantized(const std::string& name) {
  return name.find("q8_0") != std::string::npos || name.find("q4_0") != std::string::npos ||
         name.find("q4_k") != std::string::npos;
}
float tolerance_for(const std::string& name) { return quantized(name) ? 0.2f : 1e-4f; }
float rms_tolerance_for(const std::string& name) { return quantized(name) ? 0.04f : 1e-4f; }

class Parity : public ::testing::TestWithParam<std::string> {};

TEST_P(Parity, LogitsMatchPyTorch) {
  const std::string name = GetParam();
  auto ref = GgufFile::open(kDir + name + ".ref.gguf");
  auto f = GgufFile::open(kDir + name + ".gguf");
  const auto& tok_t = ref->tensor("tokens");
  const auto& lg_t = ref->tensor("logits");
  const int n_tok = int(tok_t.ne[0]);
  const int64_t V = lg_t.ne[0];
  const int32_t* toks = tok_t.view.as<const int32_t>();
  const float* want = lg_t.view.as<const float>();

  const float sd = float(reference_sd(want, size_t(V * n_tok)));
  const float tol = tolerance_for(name) * sd;

  for (int threads : {1, 2}) {
    ThreadPool pool(threads);
    auto be = make_cpu_backend(pool);
    auto model = Model::load(*f, *be);
    ASSERT_EQ(model->config().n_vocab, V);
    KvCache cache = model->new_cache(64, DType::F32);
    // Prefill half of the sequence in one pass, then decode the rest one token at a time.
    const int half = n_tok / 2;
    std::vector<float> got = model->forward(cache, toks, half, true);
    for (int t = half; t < n_tok; t++) {
      std::vector<float> one = model->forward(cache, toks + t, 1, false);
      got.insert(got.end(), one.begin(), one.end());
    }
    float max_err = 0;
    double sq_err = 0;
    for (int t = 0; t < n_tok; t++) {
      const float* w = want + int64_t(t) * V;
      const float* g = got.data() + int64_t(t) * V;
      int64_t best = 0, best_g = 0;
      float top1 = -INFINITY, top2 = -INFINITY;
      for (int64_t i = 0; i < V; i++) {
        max_err = std::max(max_err, std::fabs(w[i] - g[i]));
        sq_err += double(w[i] - g[i]) * double(w[i] - g[i]);
        if (w[i] > top1) {
          top2 = top1;
          top1 = w[i];
          best = i;
        } else if (w[i] > top2) {
          top2 = w[i];
        }
        if (g[i] > g[best_g]) best_g = i;
      }
      if (top1 - top2 > 2 * tol) {
        EXPECT_EQ(best_g, best) << name << " position " << t;
      }
    }
    const float rms_err = float(std::sqrt(sq_err / double(V * n_tok)));
    EXPECT_LE(rms_err, rms_tolerance_for(name) * sd) << name << " threads " << threads << ": rms diff " << rms_err;
    EXPECT_LE(max_err, tol) << name << " threads " << threads << ": max |diff| " << max_err << " (sd " << sd << ")";
    if (threads == 1) {
      std::printf("%-18s max|diff|/sd = %.2e (tolerance %.0e), rms/sd = %.2e (tolerance %.0e)\n", name.c_str(),
                  max_err / sd, tolerance_for(name), rms_err / sd, rms_tolerance_for(name));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, Parity, ::testing::ValuesIn(fixtures()),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

TEST(Parity, FixturesPresent) { EXPECT_GE(fixtures().size(), kEnvDir ? 1u : 17u); }

}  // namespace
