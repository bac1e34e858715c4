// wordpiece.h — BERT's WordPiece: the normaliser and pre-tokenizer of Hugging Face's BertNormalizer +
// BertPreTokenizer (the fast tokenizer sentence-transformers use) and the greedy longest-match-first word split.
//   normalise: drop U+0000, U+FFFD, invalid UTF-8 bytes and every C* code point except \t \n \r; White_Space -> ' ';
//              spaces around CJK ideographs; if strip_accents: NFD, drop Mn; if lowercase: full lowercase per code
//              point (str.lower of one character: no final-sigma context)
//   split:     on White_Space; each punctuation code point (P*, or ASCII !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~) is a word
//   words:     more than max_chars code points -> [UNK]; else longest prefix in the vocabulary, then longest
//              continuation ("##x" in a Hugging Face vocab) from where it ended, ...; no match at some point -> the
//              whole word is [UNK]
// Vocabulary as llama.cpp's converter writes it (tokenizer.ggml.model "bert", "phantom space"): a word-initial
// piece is stored as U+2581 + piece, a continuation without its "##", control tokens ([CLS], [SEP], ...) as they are.
// Does not: add [CLS]/[SEP] or match special tokens written in the text (text/tokenizer.cpp does), pair inputs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sotto {

// The normalised, pre-tokenized words of text (UTF-8).
std::vector<std::string> bert_words(std::string_view text, bool lowercase, bool strip_accents);

struct WordPieceVocab {
  std::unordered_map<std::string, int32_t> first;  // word-initial pieces (without U+2581)
  std::unordered_map<std::string, int32_t> cont;   // continuation pieces (without ##)
  int32_t unk = -1;
  bool lowercase = true;
  bool strip_accents = true;
  int max_chars = 100;

  // Appends the ids of text (normalised, split, each word split into pieces).
  void encode(std::string_view text, std::vector<int32_t>& out) const;
  // The pieces of one normalised word: appends ids, or unk for the whole word.
  void encode_word(const std::string& word, std::vector<int32_t>& out) const;
};

}  // namespace sotto
