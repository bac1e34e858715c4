// pretokenize.cpp — see pretokenize.h. Each alternative of the pattern is a small matcher on decoded code
// points that returns the match end (or 0 for no match); alternatives are tried in pattern order.
#include "text/pretokenize.h"

#include "text/unicode.h"

namespace sotto {

namespace {

using unicode::CodePoint;

struct Ctx {
  const std::vector<CodePoint>& c;
  size_t n;
  uint32_t at(size_t i) const { return i < n ? c[i].cp : 0xFFFFFFFEu; }  // past the end: matches nothing
  bool L(size_t i) const { return i < n && unicode::is_letter(c[i].cp); }
  bool N(size_t i) const { return i < n && unicode::is_number(c[i].cp); }
  bool S(size_t i) const { return i < n && unicode::is_whitespace(c[i].cp); }
  bool nl(size_t i) const { return i < n && (c[i].cp == '\r' || c[i].cp == '\n'); }
  bool other(size_t i) const { return i < n && !S(i) && !L(i) && !N(i); }  // [^\s\p{L}\p{N}]
};

size_t lower(uint32_t cp) { return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp; }

// 's|'t|'re|'ve|'m|'ll|'d (case-insensitive when ci)
size_t contraction(const Ctx& x, size_t i, bool ci) {
  if (x.at(i) != '\'') return 0;
  auto ch = [&](size_t k) { return ci ? lower(x.at(k)) : size_t(x.at(k)); };
  const size_t a = ch(i + 1), b = ch(i + 2);
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return i + 2;
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return i + 3;
  return 0;
}

size_t run(const Ctx& x, size_t i, bool (Ctx::*pred)(size_t) const) {
  while ((x.*pred)(i)) i++;
  return i;
}

// \s*[\r\n]+ : the whitespace run up to and including its last newline.
size_t ws_newline(const Ctx& x, size_t i) {
  const size_t j = run(x, i, &Ctx::S);
  for (size_t k = j; k > i; k--) {
    if (x.nl(k - 1)) return k;
  }
  return 0;
}

// \s+(?!\S) then \s+
size_t ws_tail(const Ctx& x, size_t i) {
  const size_t j = run(x, i, &Ctx::S);
  if (j == i) return 0;
  if (j == x.n) return j;
  if (j - i >= 2) return j - 1;
  return j;
}

size_t match_llama3(const Ctx& x, size_t i, int max_digits) {
  if (size_t e = contraction(x, i, true)) return e;
  // [^\r\n\p{L}\p{N}]?\p{L}+
  if (x.L(i)) return run(x, i, &Ctx::L);
  if (i < x.n && !x.nl(i) && !x.N(i) && x.L(i + 1)) return run(x, i + 1, &Ctx::L);
  // \p{N}{1,max}
  if (x.N(i)) {
    size_t j = i;
    while (x.N(j) && int(j - i) < max_digits) j++;
    return j;
  }
  // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
  {
    size_t j = i;
    if (x.at(j) == ' ' && x.other(j + 1)) j++;
    if (x.other(j)) return run(x, run(x, j, &Ctx::other), &Ctx::nl);
  }
  if (size_t e = ws_newline(x, i)) return e;
  return ws_tail(x, i);
}

size_t match_gpt2(const Ctx& x, size_t i) {
  if (size_t e = contraction(x, i, false)) return e;
  const size_t j = x.at(i) == ' ' ? i + 1 : i;
  if (x.L(j)) return run(x, j, &Ctx::L);
  if (x.N(j)) return run(x, j, &Ctx::N);
  if (x.other(j)) return run(x, j, &Ctx::other);
  return ws_tail(x, i);
}

void split(std::string_view text, PreTok kind, std::vector<std::string_view>& out) {
  const std::vector<CodePoint> cps = unicode::decode_utf8(text);
  Ctx x{cps, cps.size()};
  size_t i = 0;
  while (i < x.n) {
    size_t e = 0;
    switch (kind) {
      case PreTok::Llama3: e = match_llama3(x, i, 3); break;
      case PreTok::Qwen2: e = match_llama3(x, i, 1); break;
      default: e = match_gpt2(x, i); break;
    }
    if (e <= i) e = i + 1;  // cannot happen for these patterns; never loop forever
    const size_t b0 = cps[i].off, b1 = e < x.n ? cps[e].off : text.size();
    out.push_back(text.substr(b0, b1 - b0));
    i = e;
  }
}

}  // namespace

std::vector<std::string_view> pretokenize(std::string_view text, PreTok kind) {
  std::vector<std::string_view> out;
  if (kind != PreTok::SmolLM) {
    split(text, kind, out);
    return out;
  }
  // Isolate every number code point, then split the text between them with the GPT-2 pattern.
  const std::vector<CodePoint> cps = unicode::decode_utf8(text);
  size_t seg = 0;
  for (const CodePoint& c : cps) {
    if (c.cp != unicode::kInvalid && unicode::is_number(c.cp)) {
      if (c.off > seg) split(text.substr(seg, c.off - seg), PreTok::Gpt2, out);
      out.push_back(text.substr(c.off, c.len));
      seg = c.off + c.len;
    }
  }
  if (seg < text.size()) split(text.substr(seg), PreTok::Gpt2, out);
  return out;
}

}  // namespace sotto
