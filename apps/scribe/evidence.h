// evidence.h — the evidence constraint of a note as one link of the sampler chain: while the note is inside a
// free-text string value (grammar/evidence.h says which values are free text, per schema keyword), only tokens
// that keep the value a substring of the transcript, or close it, survive. Put it right after the grammar
// link (chain.add_front(evidence) then chain.add_front(grammar)), so it sees only grammar-allowed candidates.
// When no candidate the grammar allows is also allowed here (a minLength the transcript cannot fill), the
// step is left to the grammar alone and counted (stats().fallbacks); the value may then leave the transcript.
// Does not: fold case or whitespace, join spans, constrain keys, enums, formats, patterns, numbers, booleans.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "core/json.h"
#include "grammar/evidence.h"
#include "runtime/sampler.h"

namespace sotto {

struct EvidenceStats {
  int masks = 0;            // steps inside a free-text value (a mask computed)
  int fallbacks = 0;        // of those, steps left to the grammar (nothing allowed here was allowed there)
  int values = 0;           // free-text values written
  int left_source = 0;      // values that left the transcript (after a fallback or a forced token)
  double mask_s = 0;        // time computing masks
  int64_t nodes = 0;        // trie nodes visited
};

class EvidenceSampler : public Sampler {
 public:
  // `schema` must outlive the sampler; `source` is copied (the automaton is built here).
  EvidenceSampler(std::shared_ptr<const grammar::TokenTrie> trie, const json::Value& schema, std::string_view source);
  std::string name() const override { return "evidence"; }
  void apply(Candidates& c) override;
  void accept(int32_t token) override;
  void reset() override;
  EvidenceStats stats() const;

 private:
  std::shared_ptr<const grammar::TokenTrie> trie_;
  grammar::EvidenceCursor cursor_;
  std::vector<uint32_t> mask_;
  EvidenceStats stats_;
};

}  // namespace sotto
