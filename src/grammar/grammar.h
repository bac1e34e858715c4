// grammar.h — a context-free grammar over BYTES, and its GBNF-style text form.
// The grammar is what the matcher (matcher.h) runs: every terminal is a set of bytes, so multi-byte UTF-8
// characters and character classes are lowered to byte sequences when the text is parsed. Rules have
// alternatives; an alternative is a sequence of elements (a byte set, or a reference to a rule) laid out in
// one flat array and closed by an `end` element. Repetitions and groups become helper rules at parse time.
//
// GBNF text accepted by parse_gbnf (the dialect llama.cpp popularised, implemented here from its description):
//   rule-name ::= alternative ( "|" alternative )*        # comments run to the end of the line
//   items: "literal" with \n \r \t \\ \" \' \[ \] \xHH \uHHHH \UHHHHHHHH escapes, [a-z0-9_] classes (with ^ for
//   negation, code points allowed), `.` (any valid UTF-8 character), rule names, ( groups ), and the
//   postfix operators * + ? {m} {m,} {m,n}. A rule may continue over several lines. The start rule is `root`.
// Checked on parse: undefined rules, missing root, left recursion (including through nullable prefixes),
// rules reachable from root that derive no finite string (`root ::= "a" root`), parentheses nested deeper
// than kMaxGbnfNesting, malformed syntax — each a sotto::Error naming the grammar, line and column (or rule).
// The checks and the matcher run in time linear in the grammar and without recursion over rules, so a
// grammar of many thousands of rules (a chain r0 ::= r1, r1 ::= r2, ...) neither hangs nor overflows the stack.
// Not supported: left-recursive rules (rewrite them right-recursively), lookahead, token-level terminals.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/utf8.h"

namespace sotto::grammar {

// Deepest nesting of ( groups ) parse_gbnf accepts (the parser recurses once per level; 1 MiB wasm stack).
inline constexpr int kMaxGbnfNesting = 256;

struct ByteSet {
  uint64_t w[4] = {0, 0, 0, 0};
  bool has(uint8_t b) const { return (w[b >> 6] >> (b & 63)) & 1; }
  void add(uint8_t b) { w[b >> 6] |= uint64_t(1) << (b & 63); }
  void add_range(uint8_t lo, uint8_t hi) {
    for (int b = lo; b <= hi; ++b) add(uint8_t(b));
  }
  int count() const;
  bool operator==(const ByteSet& o) const {
    return w[0] == o.w[0] && w[1] == o.w[1] && w[2] == o.w[2] && w[3] == o.w[3];
  }
};

enum class ElemKind : uint8_t { bytes, rule, end };

struct Elem {
  ElemKind kind;
  int32_t arg;  // bytes: index into Grammar::byte_sets; rule: index into Grammar::rules; end: rule index
};

struct Rule {
  std::string name;
  std::vector<int32_t> alts;  // start positions in Grammar::elems
};

struct Grammar {
  std::vector<ByteSet> byte_sets;
  std::vector<Elem> elems;
  std::vector<Rule> rules;
  int32_t root = -1;
  std::string name;  // for error messages

  // Readable dump, one rule per line, byte sets as [..] with \xHH escapes (for debugging and tests).
  std::string to_string() const;
};

// Parses GBNF text (see the contract above). `name` labels errors, e.g. "note.gbnf:3:14: undefined rule foo".
Grammar parse_gbnf(std::string_view text, const std::string& name);

// Static checks run by parse_gbnf (exposed for grammars built by hand): every rule has an alternative,
// root exists, no left recursion, every rule reachable from root derives a finite string. Throws sotto::Error.
void check_grammar(const Grammar& g);

// Appends the UTF-8 encoding of code point cp (cp <= 0x10FFFF).
using sotto::append_utf8;  // core/utf8.h

}  // namespace sotto::grammar
