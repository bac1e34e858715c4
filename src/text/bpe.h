// bpe.h — the vocabulary and merge engine shared by both tokenizer kinds.
//   ByteLevel: pieces are mapped byte by byte to the GPT-2 byte->unicode alphabet, one symbol per byte.
//   Spm:       symbols are UTF-8 characters; a character missing from the vocabulary falls back to its
//              bytes as <0xNN> tokens; pieces use U+2581 for spaces.
// Merges are applied lowest rank first, leftmost first on ties (a heap over adjacent pairs, so long
// pieces cost O(n log n)). Without merge ranks (SentencePiece GGUF files carry scores instead), the pair
// whose joined piece has the highest score merges first.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sotto {

enum class BpeKind { ByteLevel, Spm };

struct BpeVocab {
  BpeKind kind = BpeKind::ByteLevel;
  std::vector<std::string> pieces;                // id -> vocabulary string (byte-unicode form for ByteLevel)
  std::vector<float> scores;                      // optional (Spm without merges)
  std::unordered_map<std::string, int32_t> ids;   // piece -> id
  std::unordered_map<uint64_t, std::pair<int32_t, int32_t>> merges;  // (left id, right id) -> (rank, merged id)
  bool use_scores = false;                        // Spm from GGUF: merge by score
  bool ignore_merges = false;                     // Llama 3: a piece found whole in the vocabulary is one token
  int32_t byte_ids[256];                          // Spm byte fallback <0xNN> (-1 if absent)
  int32_t unk = -1;

  void index();  // builds ids (and byte_ids) from pieces
  // Adds a merge "a b"; returns false when a, b or their join is not in the vocabulary.
  bool add_merge(const std::string& a, const std::string& b, int32_t rank);
  void encode_piece(std::string_view piece, std::vector<int32_t>& out) const;
};

// GPT-2's reversible byte <-> printable code point mapping.
const std::string& byte_to_unicode(uint8_t b);  // UTF-8 of the code point for byte b
int unicode_to_byte(uint32_t cp);               // -1 if cp is not in the alphabet

}  // namespace sotto
