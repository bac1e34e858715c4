// test-device-sampler.cpp — the host side of sampling on a device (runtime/device-sampler.h) against the CPU
// sampler chain it stands in for: the draws are the chain's RNG stream, the penalty pairs are the chain's
// window, the mask is the grammar link's, and "walk in id order" is set exactly when the CPU chain ends with
// its candidates unsorted (Candidates::sorted after sample()). The GPU kernels themselves are checked against
// the chain in the wasm build (tests/webgpu/sample-checks.mjs, wasm/gpu-sample-check.cpp).
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

#include "core/error.h"
#include "grammar/json-schema.h"
#include "grammar/synthetic-vocab.h"
#include "runtime/device-sampler.h"

using namespace sotto;

namespace {

std::shared_ptr<grammar::CompiledGrammar> make_grammar(int32_t n_vocab) {
  auto sv = grammar::make_synthetic_vocab(n_vocab, 11);
  auto vocab = std::make_shared<grammar::TokenTrie>(sv.pieces, sv.eog_ids);
  const char* schema = R"({"type": "object", "properties": {
    "name": {"type": "string", "maxLength": 10}, "n": {"type": "integer", "minimum": 0, "maximum": 99},
    "kind": {"enum": ["a", "bb", "ccc"]}}, "required": ["name", "n", "kind"], "additionalProperties": false})";
  return std::make_shared<grammar::CompiledGrammar>(grammar::compile_json_schema(schema, "t.json"), vocab);
}

}  // namespace

TEST(DeviceSampler, RefusesTopKOutsideTheGpuRange) {
  SamplerParams p;
  p.temperature = 0.8f;
  for (int k : {0, -1, 257}) {
    p.top_k = k;
    try {
      DeviceSampler ds(p, nullptr, nullptr);
      FAIL() << "top_k " << k << " accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("top_k in 1..256"), std::string::npos) << e.what();
    }
  }
  p.temperature = 0.0f;  // greedy: top-k is not used
  p.top_k = 0;
  EXPECT_NO_THROW(DeviceSampler(p, nullptr, nullptr));
  p.top_p = 0.0f;  // the CPU chain's own checks
  p.temperature = 0.5f;
  p.top_k = 40;
  EXPECT_THROW(DeviceSampler(p, nullptr, nullptr), Error);
}

TEST(DeviceSampler, DrawsArePenaltiesAndIdOrderAsTheCpuChain) {
  const int32_t n_vocab = 3000;
  auto cg = make_grammar(n_vocab);
  std::mt19937 rng(3);
  std::normal_distribution<float> nd(0.0f, 2.5f);
  int id_order = 0, sorted = 0;
  for (int run = 0; run < 120; ++run) {
    SamplerParams p;
    p.temperature = 0.9f;
    const int ks[] = {1, 3, 40, 256};
    p.top_k = ks[run % 4];
    p.top_p = run % 3 == 0 ? 0.9f : 1.0f;
    p.min_p = run % 5 == 0 ? 0.05f : 0.0f;
    p.repeat_penalty = run % 2 ? 1.2f : 1.0f;
    p.repeat_last_n = run % 4 == 1 ? -1 : 8;
    p.seed = uint64_t(run) * 977;
    const bool with_grammar = run % 3 != 2;
    const int32_t n_logits = with_grammar && run % 7 == 0 ? n_vocab + 5 : n_vocab;
    SamplerChain chain = make_chain(p);
    if (with_grammar) chain.add_front(make_grammar_sampler(cg));
    DeviceSampler ds(p, with_grammar ? cg : nullptr, nullptr);
    std::vector<int32_t> prompt = {5, 9, 5, 12, 700, 5};
    chain.observe_prompt(prompt.data(), int(prompt.size()));
    ds.observe_prompt(prompt.data(), int(prompt.size()));
    std::vector<int32_t> history(prompt);
    Rng draws(p.seed);
    std::vector<float> logits(static_cast<size_t>(n_logits));
    for (int step = 0; step < 40; ++step) {
      for (float& x : logits) x = nd(rng);
      const int32_t t = chain.sample(logits.data(), n_logits);
      const GpuSampleParams& gp = ds.step(n_logits);
      ASSERT_EQ(gp.u, float(draws.next_double())) << "run " << run << " step " << step;
      ASSERT_EQ(gp.top_k, p.top_k);
      const Candidates& c = chain.candidates();
      if (c.size() > 1) {
        ASSERT_EQ(gp.id_order, !c.sorted) << "run " << run << " step " << step << " candidates " << c.size();
        (gp.id_order ? id_order : sorted)++;
      }
      // The penalties: the counts of the last repeat_last_n tokens of prompt + accepted (the chain's window).
      std::map<int32_t, int32_t> want, got;
      if (p.repeat_penalty != 1.0f) {
        const size_t from = p.repeat_last_n < 0 || history.size() <= size_t(p.repeat_last_n)
                                ? 0 : history.size() - size_t(p.repeat_last_n);
        for (size_t i = from; i < history.size(); ++i) ++want[history[i]];
      }
      for (const auto& [id, n] : gp.penalties) got[id] += n;
      ASSERT_EQ(got, want) << "run " << run << " step " << step;
      if (with_grammar) {
        ASSERT_NE(gp.mask, nullptr);
        for (int32_t id = 0; id < n_logits; ++id) {
          const bool bit = (gp.mask[id >> 5] >> (id & 31)) & 1;
          if (bit) {
            ASSERT_LT(id, n_vocab);
          }
        }
        ASSERT_TRUE((gp.mask[t >> 5] >> (t & 31)) & 1) << "the chain's token is not in the mask";
      }
      chain.accept(t);
      ds.accept(t);
      history.push_back(t);
      if (with_grammar && cg->vocab().is_eog(t)) break;
      const std::vector<int32_t> forced = chain.forced_tokens();
      ASSERT_EQ(ds.forced_tokens(), forced);
      for (int32_t f : forced) {
        chain.accept(f);
        ds.accept(f);
        history.push_back(f);
      }
    }
  }
  // Both orders occur (the id-order walk is not a corner nobody reaches).
  EXPECT_GT(id_order, 10);
  EXPECT_GT(sorted, 100);
}
