// evidence.h — the evidence constraint of a note as one link of the sampler chain: while the note is inside a
// free-text string value (grammar/evidence.h says which values are free text, per schema keyword), only tokens
// that keep the value a substring of the transcript, or close it, survive. Put it right after the grammar
// link (chain.add_front(evidence) then chain.add_front(grammar)), so it sees only grammar-allowed candidates.
// When no candidate the grammar allows is also allowed here (a minLength the transcript cannot fill), the
// step is left to the grammar alone and counted (stats().fallbacks); the value may then leave the transcript.
// Does not: fold case or whitespace, join spans, constrain keys, enums, formats, patterns, numbers, booleans.
// Normalises only what the reference notes normalise: disfluencies are dropped (a second view of the transcript).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "core/json.h"
#include "grammar/evidence.h"
#include "runtime/device-sampler.h"
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

// The transcript without its disfluencies, as the reference notes write what was said: a filler followed by a
// comma ("um,", "uh,", "er,", "right,", "like,", "you know,", "sort of,", "I mean,", "okay so,"; any case) and a
// false start (a word repeated after a comma: "cough, cough") are dropped with the space after them. A second
// view of the transcript: a value may be copied from either, never across them.
std::string without_disfluencies(std::string_view transcript);

// What a note's values may be copied from: the transcript and, after a \x01 byte (no JSON string holds one raw,
// so no copy spans both), without_disfluencies(transcript).
std::string evidence_source(std::string_view transcript);

// Also a MaskLink: on the device path (runtime/device-sampler.h) the same constraint as a mask (WebGPU notes).
class EvidenceSampler : public Sampler, public MaskLink {
 public:
  // `schema` must outlive the sampler; the automaton of evidence_source(transcript) is built here.
  EvidenceSampler(std::shared_ptr<const grammar::TokenTrie> trie, const json::Value& schema, std::string_view transcript);
  std::string name() const override { return "evidence"; }
  void apply(Candidates& c) override;
  void accept(int32_t token) override;  // both bases'
  void reset() override;
  const uint32_t* device_mask() override;  // nullptr outside a free-text value
  void device_fallback() override { ++stats_.fallbacks; }
  EvidenceStats stats() const;

 private:
  std::shared_ptr<const grammar::TokenTrie> trie_;
  grammar::EvidenceCursor cursor_;
  std::vector<uint32_t> mask_;
  EvidenceStats stats_;
};

}  // namespace sotto
