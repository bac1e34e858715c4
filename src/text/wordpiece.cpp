// wordpiece.cpp — BERT normalisation, pre-tokenization and the WordPiece word split. Contract: wordpiece.h.
#include "text/wordpiece.h"

#include "text/unicode.h"

namespace sotto {

namespace {

bool is_cjk(uint32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
         (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

bool is_bert_punct(uint32_t cp) {
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) return true;
  return cp >= 0x80 && unicode::is_punctuation(cp);
}

}  // namespace

std::vector<std::string> bert_words(std::string_view text, bool lowercase, bool strip_accents) {
  // Clean: drop NUL, U+FFFD, invalid bytes and C* (not \t \n \r); whitespace -> ' '; CJK ideographs spaced.
  std::vector<uint32_t> cps;
  cps.reserve(text.size());
  for (const unicode::CodePoint& c : unicode::decode_utf8(text)) {
    const uint32_t cp = c.cp;
    if (cp == unicode::kInvalid || cp == 0 || cp == 0xFFFD) continue;
    const bool ws = cp == '\t' || cp == '\n' || cp == '\r' || unicode::is_whitespace(cp);
    if (!ws && unicode::is_other(cp)) continue;
    if (ws) {
      cps.push_back(' ');
    } else if (is_cjk(cp)) {
      cps.push_back(' ');
      cps.push_back(cp);
      cps.push_back(' ');
    } else {
      cps.push_back(cp);
    }
  }
  if (strip_accents) {
    std::vector<uint32_t> d = unicode::nfd(cps);
    cps.clear();
    for (uint32_t cp : d) {
      if (!unicode::is_mark_nonspacing(cp)) cps.push_back(cp);
    }
  }
  if (lowercase) {
    std::vector<uint32_t> lo;
    lo.reserve(cps.size());
    for (uint32_t cp : cps) unicode::append_lower(cp, lo);
    cps.swap(lo);
  }
  // Split on whitespace and around each punctuation code point.
  std::vector<std::string> words;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty()) words.push_back(std::move(cur));
    cur.clear();
  };
  for (uint32_t cp : cps) {
    if (cp == ' ' || unicode::is_whitespace(cp)) {
      flush();
    } else if (is_bert_punct(cp)) {
      flush();
      append_utf8(cur, cp);
      flush();
    } else {
      append_utf8(cur, cp);
    }
  }
  flush();
  return words;
}

void WordPieceVocab::encode_word(const std::string& word, std::vector<int32_t>& out) const {
  // Code point boundaries of the word (it is valid UTF-8: bert_words made it).
  std::vector<size_t> at;
  for (size_t i = 0; i < word.size(); i += size_t(unicode::utf8_len(uint8_t(word[i])))) at.push_back(i);
  at.push_back(word.size());
  const size_t n = at.size() - 1;
  if (n > size_t(max_chars)) {
    out.push_back(unk);
    return;
  }
  const size_t mark = out.size();
  for (size_t start = 0; start < n;) {
    int32_t id = -1;
    size_t end = n;
    const auto& table = start == 0 ? first : cont;
    for (; end > start; end--) {
      auto it = table.find(word.substr(at[start], at[end] - at[start]));
      if (it != table.end()) {
        id = it->second;
        break;
      }
    }
    if (id < 0) {
      out.resize(mark);
      out.push_back(unk);
      return;
    }
    out.push_back(id);
    start = end;
  }
}

void WordPieceVocab::encode(std::string_view text, std::vector<int32_t>& out) const {
  for (const std::string& w : bert_words(text, lowercase, strip_accents)) encode_word(w, out);
}

}  // namespace sotto
