// fuzz-gbnf.cpp — libFuzzer target: the GBNF parser (grammar/gbnf-parser.cpp) and the matcher that runs what
// it accepts (grammar/matcher.h). Input: grammar text, then optionally a NUL byte and text to feed the
// matcher. The matcher runs over a 2,000-token synthetic vocabulary with at most 4,096 automaton states (past
// that, a sotto::Error, as documented).
// Properties: at the start and after the text, the token mask agrees with the per-token check
// (is_allowed) for every token; bytes the matcher accepted keep it alive; forced bytes are accepted.
#include <cstring>
#include <memory>
#include <string>

#include "core/error.h"
#include "fuzz.h"
#include "grammar/grammar.h"
#include "grammar/matcher.h"
#include "grammar/synthetic-vocab.h"
#include "grammar/token-trie.h"

using namespace sotto;
using namespace sotto::grammar;

namespace {

std::shared_ptr<const TokenTrie> vocab() {
  static const std::shared_ptr<const TokenTrie> v = [] {
    SyntheticVocab sv = make_synthetic_vocab(2000, 3);
    return std::make_shared<TokenTrie>(sv.pieces, sv.eog_ids);
  }();
  return v;
}

void check_mask(GrammarMatcher& m) {
  const uint32_t* mk = m.mask();
  std::vector<uint32_t> copy(mk, mk + m.n_words());
  for (int32_t id = 0; id < m.n_vocab(); ++id) {
    const bool in_mask = (copy[size_t(id) >> 5] >> (id & 31)) & 1;
    FUZZ_CHECK(in_mask == m.is_allowed(id));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const char* p = reinterpret_cast<const char*>(data);
  const char* nul = static_cast<const char*>(std::memchr(p, 0, size));
  const std::string_view text(p, nul ? size_t(nul - p) : size);
  const std::string_view sample = nul ? std::string_view(nul + 1, size - text.size() - 1) : std::string_view();
  Grammar g;
  try {
    g = parse_gbnf(text, "fuzz.gbnf");
  } catch (const Error&) {
    return 0;
  }
  (void)g.to_string();
  try {
    auto cg = std::make_shared<CompiledGrammar>(std::move(g), vocab(), 16, 4096);
    GrammarMatcher m(cg);
    check_mask(m);
    for (size_t i = 0; i < sample.size(); ++i) {
      if (!m.accept_bytes(sample.substr(i, 1))) break;
    }
    check_mask(m);
    const std::string forced = m.forced_bytes();
    if (!forced.empty()) FUZZ_CHECK(m.accept_bytes(forced));
    (void)m.can_end();
  } catch (const Error&) {
  }
  return 0;
}
