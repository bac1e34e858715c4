// tokenizer-vocab.h — the vocabulary trie of a real tokenizer: the piece of every id (Tokenizer::
// token_to_piece: raw bytes; SentencePiece's U+2581 and <0xNN> already decoded), end-of-generation ids from
// is_eog(). Control tokens that are not end-of-generation get an empty piece, so no grammar allows them.
// The matcher itself never sees the Tokenizer class (it takes pieces + ids); this is the one bridge.
#pragma once

#include <memory>

#include "grammar/token-trie.h"

namespace sotto {
class Tokenizer;
}

namespace sotto::grammar {

std::shared_ptr<const TokenTrie> make_token_trie(const Tokenizer& tok);

}  // namespace sotto::grammar
