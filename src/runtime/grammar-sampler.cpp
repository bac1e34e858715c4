// grammar-sampler.cpp — see grammar-sampler.h.
#include "runtime/grammar-sampler.h"

#include "core/error.h"

namespace sotto {

void GrammarSampler::apply(Candidates& c) {
  const uint32_t* mask = matcher_.mask();
  const int32_t n_vocab = matcher_.n_vocab();
  size_t kept = 0;
  for (size_t i = 0; i < c.data.size(); ++i) {
    const int32_t id = c.data[i].id;
    if (id >= 0 && id < n_vocab && ((mask[id >> 5] >> (id & 31)) & 1)) c.data[kept++] = c.data[i];
  }
  c.data.resize(kept);
  c.has_probs = false;
  c.selected = -1;
}

void GrammarSampler::accept(int32_t token) {
  if (!matcher_.accept_token(token)) {
    fail("grammar sampler: token ", std::to_string(token), " is not allowed by the grammar here (put the grammar "
         "link first in the chain)");
  }
}

std::unique_ptr<GrammarSampler> make_grammar_sampler(std::shared_ptr<grammar::CompiledGrammar> cg) {
  if (!cg) fail("grammar sampler: no compiled grammar");
  return std::make_unique<GrammarSampler>(std::move(cg));
}

}  // namespace sotto
