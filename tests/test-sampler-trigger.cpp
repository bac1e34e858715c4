// test-sampler-trigger.cpp — TriggeredGrammarSampler (runtime/grammar-sampler.h), the grammar that applies only once
// the answer opens with '{' (the API's tool_choice "auto"), on the bundled note model's real vocabulary: before the
// first non-blank token a '{' token the grammar refuses is dropped and every other token stays; a blank token leaves
// it undecided; prose switches it off for good; '{' switches the grammar on (then prose and what
// the grammar refuses are masked). The grammar: an empty object, so '{' is allowed and '{"' refused.
#include <gtest/gtest.h>

#include <limits>

#include "core/gguf.h"
#include "grammar/json-schema.h"
#include "grammar/matcher.h"
#include "grammar/tokenizer-vocab.h"
#include "runtime/grammar-sampler.h"
#include "runtime/sampler.h"
#include "text/tokenizer.h"

using namespace sotto;

namespace {

struct Fixture {
  std::unique_ptr<GgufFile> file;
  std::unique_ptr<Tokenizer> tok;
  std::shared_ptr<grammar::CompiledGrammar> cg;
  int32_t brace = -1, brace_bad = -1, blank = -1, prose = -1;
};

Fixture make() {
  Fixture f;
  f.file = GgufFile::open(SOTTO_SOURCE_DIR "/models/sotto-notes-q8_0.gguf");
  f.tok = Tokenizer::from_gguf(*f.file);
  f.cg = std::make_shared<grammar::CompiledGrammar>(
      grammar::compile_json_schema(R"({"type": "object", "additionalProperties": false})", "call"),  // only {}
      grammar::make_token_trie(*f.tok));
  grammar::GrammarMatcher m(f.cg);
  for (int32_t id = 0; id < f.tok->n_vocab(); id++) {
    if (f.tok->is_special(id)) continue;
    const std::string p = f.tok->token_to_piece(id);
    if (p == "{" && m.is_allowed(id)) f.brace = id;
    if (p.size() > 1 && p[0] == '{' && !m.is_allowed(id) && f.brace_bad < 0) f.brace_bad = id;
    if ((p == " " || p == "\n") && f.blank < 0) f.blank = id;
    if (p.size() > 2 && std::isalpha(static_cast<unsigned char>(p[0])) && f.prose < 0) f.prose = id;
  }
  return f;
}

SamplerChain chain_for(Fixture& f, TriggeredGrammarSampler** out) {
  SamplerChain c;
  auto s = std::make_unique<TriggeredGrammarSampler>(f.cg, *f.tok);
  *out = s.get();
  c.add(std::move(s));
  c.add(make_greedy());
  return c;
}

// Logits all 0 but `best` (10) and `second` (5).
std::vector<float> peak(int n, int32_t best, int32_t second = -1) {
  std::vector<float> l(size_t(n), 0.0f);
  l[size_t(best)] = 10;
  if (second >= 0) l[size_t(second)] = 5;
  return l;
}

}  // namespace

TEST(SamplerTrigger, RefusedBraceDroppedProseSwitchesOff) {
  Fixture f = make();
  ASSERT_GE(f.brace, 0);
  ASSERT_GE(f.brace_bad, 0);
  ASSERT_GE(f.prose, 0);
  TriggeredGrammarSampler* t = nullptr;
  SamplerChain c = chain_for(f, &t);
  const int n = f.tok->n_vocab();
  // The refused '{...' token is not chosen even as the most likely; the next one is.
  EXPECT_EQ(c.sample(peak(n, f.brace_bad, f.prose).data(), n), f.prose);
  c.accept(f.prose);
  EXPECT_EQ(t->state(), TriggeredGrammarSampler::State::off);
  // Off: anything goes, '{' tokens the grammar would refuse included.
  EXPECT_EQ(c.sample(peak(n, f.brace_bad).data(), n), f.brace_bad);
}

TEST(SamplerTrigger, BlankWaitsBraceSwitchesOn) {
  Fixture f = make();
  ASSERT_GE(f.blank, 0);
  TriggeredGrammarSampler* t = nullptr;
  SamplerChain c = chain_for(f, &t);
  const int n = f.tok->n_vocab();
  EXPECT_EQ(c.sample(peak(n, f.blank).data(), n), f.blank);
  c.accept(f.blank);
  EXPECT_EQ(t->state(), TriggeredGrammarSampler::State::undecided);
  EXPECT_EQ(c.sample(peak(n, f.brace).data(), n), f.brace);
  c.accept(f.brace);
  EXPECT_EQ(t->state(), TriggeredGrammarSampler::State::on);
  // On: prose is masked now, and so is the refused '{"'.
  EXPECT_NE(c.sample(peak(n, f.prose).data(), n), f.prose);
  EXPECT_NE(c.sample(peak(n, f.brace_bad).data(), n), f.brace_bad);
}
