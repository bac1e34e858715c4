// grammar-sampler.h — the grammar matcher (grammar/matcher.h) as one link of the sampler chain (sampler.h).
// apply() removes every candidate the grammar does not allow: on a full, id-ordered candidates array (the
// grammar link first) it sets the logits of the forbidden tokens to -inf when most tokens are allowed (inside
// strings) or keeps only the allowed ones otherwise, so the cost follows the smaller side; on any other
// array it drops the forbidden candidates keeping the survivors' order. accept() advances the matcher and throws if the chosen token is not allowed (the link was
// not first in the chain, or the caller bypassed it). When the document is complete only end-of-generation
// tokens survive, so generation stops there. Put it first: chain.add_front(make_grammar_sampler(...)).
// The vocabulary comes from grammar/tokenizer-vocab.h (make_token_trie(tokenizer)).
// Forced tokens: given the model's tokenizer, the forced text is split the way the tokenizer splits it (a model
// has only seen its own tokenizer's splits; the matcher's greedy longest-prefix split can differ, e.g. '{' then
// '"' where training text always had '{"'), and the last token is left to sampling under the mask, since the
// text after the forced run may merge with it into a longer token.
#pragma once

#include <memory>

#include "grammar/matcher.h"
#include "grammar/tokenizer-vocab.h"
#include "runtime/sampler.h"

namespace sotto {

class GrammarSampler : public Sampler {
 public:
  explicit GrammarSampler(std::shared_ptr<grammar::CompiledGrammar> cg, const Tokenizer* tok = nullptr)
      : matcher_(std::move(cg)), tok_(tok) {}
  std::string name() const override { return "grammar"; }
  void apply(Candidates& c) override;
  void accept(int32_t token) override;
  void reset() override { matcher_.reset(); }
  std::vector<int32_t> forced_tokens() override;
  // For forced tokens (matcher().forced_tokens()), rollback and is_finished().
  grammar::GrammarMatcher& matcher() { return matcher_; }

 private:
  grammar::GrammarMatcher matcher_;
  const Tokenizer* tok_;
  std::vector<TokenData> scratch_;
};

// `tok` (optional, must outlive the sampler): the model's tokenizer, for forced tokens split as it splits them.
std::unique_ptr<GrammarSampler> make_grammar_sampler(std::shared_ptr<grammar::CompiledGrammar> cg,
                                                     const Tokenizer* tok = nullptr);

// A grammar that applies only when the output opens with `trigger` (a JSON document's '{': a tool call, when the
// model may also answer in prose). Until the first token that is not whitespace, a token whose first non-space
// byte is the trigger must be one the grammar allows at its start (leading whitespace is not fed to it), every other
// token is free; that first token decides: the trigger switches the grammar on for the rest of the output (apply,
// accept and forced tokens then as GrammarSampler), anything else switches it off. Put it first in the chain.
class TriggeredGrammarSampler : public Sampler {
 public:
  enum class State { undecided, on, off };
  TriggeredGrammarSampler(std::shared_ptr<grammar::CompiledGrammar> cg, const Tokenizer& tok, char trigger = '{');
  std::string name() const override { return "grammar-on-trigger"; }
  void apply(Candidates& c) override;
  void accept(int32_t token) override;
  void reset() override;
  std::vector<int32_t> forced_tokens() override;
  State state() const { return state_; }

 private:
  enum Kind : uint8_t { kBlank, kTrigger, kOther };
  Kind kind(int32_t id);  // by the token's text: whitespace only, trigger first, or anything else
  GrammarSampler inner_;
  const Tokenizer& tok_;
  char trigger_;
  State state_ = State::undecided;
  std::vector<uint8_t> kinds_;  // per token id, built on the first undecided step
};

}  // namespace sotto
