// synthetic-vocab.h — a deterministic byte-level-like vocabulary for grammar tests and benchmarks, used
// where a real tokenizer's vocabulary is not at hand. It has the shape of the real ones (GPT-2-style byte
// BPE of 128k-262k entries): all 256 single bytes; words with and without a leading space in several
// casings; digit runs; punctuation and JSON-ish runs ("\":", "\",", "{\"", "},\n  "); whitespace and
// newline+indent runs; multi-byte UTF-8 words and partial UTF-8 sequences; plus end-of-generation tokens
// appended at the end. Not a tokenizer: no merges, nothing encodes with it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sotto::grammar {

struct SyntheticVocab {
  std::vector<std::string> pieces;  // [n_vocab]
  std::vector<int32_t> eog_ids;
};

SyntheticVocab make_synthetic_vocab(int32_t n_vocab, uint64_t seed = 1);

}  // namespace sotto::grammar
