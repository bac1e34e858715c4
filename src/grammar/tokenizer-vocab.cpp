// tokenizer-vocab.cpp — see tokenizer-vocab.h.
#include "grammar/tokenizer-vocab.h"

#include "text/tokenizer.h"

namespace sotto::grammar {

std::shared_ptr<const TokenTrie> make_token_trie(const Tokenizer& tok) {
  const int32_t n = tok.n_vocab();
  std::vector<std::string> pieces(static_cast<size_t>(n));
  std::vector<int32_t> eog;
  for (int32_t id = 0; id < n; ++id) {
    if (tok.is_eog(id)) {
      eog.push_back(id);
    } else if (!tok.is_special(id)) {
      pieces[size_t(id)] = tok.token_to_piece(id);
    }
  }
  return std::make_shared<const TokenTrie>(std::move(pieces), eog);
}

}  // namespace sotto::grammar
