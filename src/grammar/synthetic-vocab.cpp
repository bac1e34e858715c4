// synthetic-vocab.cpp — see synthetic-vocab.h.
#include "grammar/synthetic-vocab.h"

#include <unordered_set>

#include "core/error.h"

namespace sotto::grammar {

namespace {

struct Rng {
  uint64_t s;
  uint64_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  int below(int n) { return int(next() % uint64_t(n)); }
};

}  // namespace

SyntheticVocab make_synthetic_vocab(int32_t n_vocab, uint64_t seed) {
  if (n_vocab < 300) fail("synthetic vocabulary: n_vocab must be at least 300, got ", std::to_string(n_vocab));
  SyntheticVocab v;
  std::unordered_set<std::string> seen;
  const int32_t n_text = n_vocab - 2;  // the last two ids are end-of-generation tokens
  auto add = [&](const std::string& p) {
    if (int32_t(v.pieces.size()) < n_text && !p.empty() && seen.insert(p).second) v.pieces.push_back(p);
  };
  for (int b = 0; b < 256; ++b) add(std::string(1, char(b)));
  const char* fixed[] = {"\":", "\": ", "\",", "\", ", "{\"", "{\n", "},", "}\n", "},\n", "\"}", "\"},", "]}",
                         "[{", "[{\"", "\":\"", "\": \"", "\",\"", "\",\n", "\n  \"", "\n    \"", "    ", "  ",
                         "\n", "\n\n", "\\n", "\\\"", "\\u", "true", "false", "null", " true", " false", " null",
                         "-", "0.", "1.", "2024-", "-01-", "T", "Z", ":00", "\\\\", "\"\"", "{}", "[]"};
  for (const char* f : fixed) add(f);
  for (int d = 0; d < 1000; ++d) add(std::to_string(d));
  for (int k = 1; k <= 16; ++k) add(std::string(size_t(k), ' '));
  for (int k = 1; k <= 12; ++k) {
    std::string nl(1, '\n');
    nl.append(size_t(k), ' ');
    add(nl);
  }
  const char* utf8_words[] = {"é", "è", "ü", "ß", "ñ", "ç", "中", "文", "日本", "語", "한국", "Ω", "π", "—", "“", "”",
                              "’", "…", "°", "µg", "±", "×", "→", "✓", "😀"};
  for (const char* w : utf8_words) {
    add(w);
    add(std::string(" ") + w);
  }
  Rng rng{seed * 0x9E3779B97F4A7C15ull + 12345};
  const char* cons = "bcdfghjklmnprstvwxyz";
  const char* vow = "aeiouy";
  const char* punct = ".,;:!?()[]{}'\"-_/*+=<>#%&";
  while (int32_t(v.pieces.size()) < n_text) {
    int kind = rng.below(100);
    std::string p;
    if (kind < 70) {  // word-like piece
      int syl = 1 + rng.below(4);
      for (int s = 0; s < syl; ++s) {
        p += cons[rng.below(20)];
        p += vow[rng.below(6)];
        if (rng.below(3) == 0) p += cons[rng.below(20)];
      }
      int c = rng.below(10);
      if (c == 0) p[0] = char(p[0] - 'a' + 'A');
      if (c == 1) {
        for (char& ch : p) ch = char(ch - 'a' + 'A');
      }
      if (rng.below(2) == 0) p.insert(p.begin(), ' ');
    } else if (kind < 78) {  // punctuation runs
      int n = 1 + rng.below(3);
      for (int k = 0; k < n; ++k) p += punct[rng.below(25)];
      if (rng.below(3) == 0) p.insert(p.begin(), ' ');
    } else if (kind < 84) {  // digits
      int n = 1 + rng.below(3);
      for (int k = 0; k < n; ++k) p += char('0' + rng.below(10));
    } else if (kind < 94) {  // complete UTF-8 characters (2 and 3 bytes), maybe after a space
      if (rng.below(2) == 0) p += ' ';
      int n = 1 + rng.below(3);
      for (int k = 0; k < n; ++k) {
        if (rng.below(2) == 0) {
          uint32_t cp = 0xC0 + uint32_t(rng.below(0x700));
          p += char(0xC0 | (cp >> 6));
          p += char(0x80 | (cp & 0x3F));
        } else {
          uint32_t cp = 0x4E00 + uint32_t(rng.below(0x5000));
          p += char(0xE0 | (cp >> 12));
          p += char(0x80 | ((cp >> 6) & 0x3F));
          p += char(0x80 | (cp & 0x3F));
        }
      }
    } else {  // partial UTF-8: a lead byte with some continuations, or stray continuations
      uint32_t cp = 0x4E00 + uint32_t(rng.below(0x5000));
      std::string full;
      full += char(0xE0 | (cp >> 12));
      full += char(0x80 | ((cp >> 6) & 0x3F));
      full += char(0x80 | (cp & 0x3F));
      int cut = rng.below(4);
      p = cut == 0 ? full.substr(0, 2) : cut == 1 ? full.substr(1) : cut == 2 ? full.substr(2) : std::string("a") + full[0];
    }
    add(p);
  }
  v.eog_ids = {n_text, n_text + 1};
  v.pieces.push_back("<|endoftext|>");
  v.pieces.push_back("<|im_end|>");
  return v;
}

}  // namespace sotto::grammar
