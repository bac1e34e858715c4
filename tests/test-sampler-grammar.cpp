// test-sampler-grammar.cpp — the grammar link of the sampler chain: with random logits, greedy and
// distribution sampling under a grammar always produce a complete, grammatical text and then stop.
#include <gtest/gtest.h>

#include <random>

#include "core/error.h"
#include "grammar/synthetic-vocab.h"
#include "runtime/grammar-sampler.h"

using namespace sotto;

TEST(SamplerGrammar, ChainEmitsOnlyGrammaticalTextAndStops) {
  auto sv = grammar::make_synthetic_vocab(3000, 5);
  auto vocab = std::make_shared<grammar::TokenTrie>(sv.pieces, sv.eog_ids);
  const char* text = R"(root ::= "{\"dose\": " [1-9] [0-9]{0,2} ", \"unit\": \"" ( "mg" | "g" | "ml" ) "\"}")";
  auto cg = std::make_shared<grammar::CompiledGrammar>(grammar::parse_gbnf(text, "dose.gbnf"), vocab);
  std::mt19937 rng(7);
  std::normal_distribution<float> nd(0.0f, 3.0f);
  for (int run = 0; run < 12; ++run) {
    SamplerParams params;
    params.temperature = run % 2 ? 0.0f : 1.0f;
    params.seed = uint64_t(run);
    SamplerChain chain;
    auto gs = make_grammar_sampler(cg);
    GrammarSampler* g = gs.get();
    if (run < 8) {  // grammar first: the id-indexed paths
      chain = make_chain(params);
      chain.add_front(std::move(gs));
    } else {  // grammar after a sorting filter: the general path
      chain.add(make_top_k(100000));
      chain.add(std::move(gs));
      chain.add(make_dist(uint64_t(run)));
    }
    std::string out;
    std::vector<float> logits(size_t(vocab->n_vocab()));
    bool stopped = false;
    for (int step = 0; step < 200; ++step) {
      for (float& x : logits) x = nd(rng);
      int32_t t = chain.sample(logits.data(), vocab->n_vocab());
      ASSERT_TRUE(g->matcher().is_allowed(t)) << "step " << step;
      chain.accept(t);
      if (vocab->is_eog(t)) {
        stopped = true;
        break;
      }
      out += vocab->piece(t);
    }
    ASSERT_TRUE(stopped) << out;
    EXPECT_EQ(out.rfind("{\"dose\": ", 0), 0u) << out;
    EXPECT_EQ(out.back(), '}') << out;
    auto st = cg->advance(cg->initial_state(), out);
    EXPECT_TRUE(st >= 0 && cg->can_end(st)) << out;
  }
}

TEST(SamplerGrammar, AcceptOfForbiddenTokenThrows) {
  auto sv = grammar::make_synthetic_vocab(1000, 5);
  auto vocab = std::make_shared<grammar::TokenTrie>(sv.pieces, sv.eog_ids);
  auto cg = std::make_shared<grammar::CompiledGrammar>(grammar::parse_gbnf("root ::= \"a\"", "a.gbnf"), vocab);
  auto gs = make_grammar_sampler(cg);
  EXPECT_THROW(gs->accept('b'), Error);
  EXPECT_NO_THROW(gs->accept('a'));
}
