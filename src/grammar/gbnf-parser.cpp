// gbnf-parser.cpp — GBNF text -> byte-level Grammar (see grammar.h for the dialect), plus the static checks.
// Character classes over code points are lowered to alternatives of byte-range sequences (UTF-8 encoding
// split so that each alternative is a product of byte ranges). Groups and repetitions become helper rules
// named after their parent (`root_3`). Does not run the grammar; that is matcher.cpp.
#include "grammar/grammar.h"

#include <algorithm>
#include <unordered_map>

#include "core/error.h"

namespace sotto::grammar {

int ByteSet::count() const {
  return __builtin_popcountll(w[0]) + __builtin_popcountll(w[1]) + __builtin_popcountll(w[2]) +
         __builtin_popcountll(w[3]);
}


namespace {

struct CpRange {
  uint32_t lo, hi;
};

using ByteSeq = std::vector<std::pair<uint8_t, uint8_t>>;  // one byte range per position

// Splits [lo, hi] (same UTF-8 length, no surrogates) into products of byte ranges.
void split_same_len(uint32_t lo, uint32_t hi, std::vector<ByteSeq>& out) {
  for (int i = 1; i < 4; ++i) {
    uint32_t m = (uint32_t(1) << (6 * i)) - 1;  // the low i continuation bytes
    if ((lo & ~m) != (hi & ~m)) {
      if ((lo & m) != 0) {
        split_same_len(lo, lo | m, out);
        split_same_len((lo | m) + 1, hi, out);
        return;
      }
      if ((hi & m) != m) {
        split_same_len(lo, (hi & ~m) - 1, out);
        split_same_len(hi & ~m, hi, out);
        return;
      }
    }
  }
  std::string a, b;
  append_utf8(a, lo);
  append_utf8(b, hi);
  ByteSeq seq;
  for (size_t k = 0; k < a.size(); ++k) seq.push_back({uint8_t(a[k]), uint8_t(b[k])});
  out.push_back(seq);
}

void split_utf8(uint32_t lo, uint32_t hi, std::vector<ByteSeq>& out) {
  static const uint32_t bounds[] = {0x7F, 0x7FF, 0xFFFF, 0x10FFFF};
  if (lo <= 0xDFFF && hi >= 0xD800) {  // surrogates are not characters
    if (lo < 0xD800) split_utf8(lo, 0xD7FF, out);
    if (hi > 0xDFFF) split_utf8(0xE000, hi, out);
    return;
  }
  for (uint32_t b : bounds) {
    if (lo <= b && hi > b) {
      split_utf8(lo, b, out);
      split_utf8(b + 1, hi, out);
      return;
    }
  }
  split_same_len(lo, hi, out);
}

struct ByteSetHash {
  size_t operator()(const ByteSet& s) const {
    return std::hash<uint64_t>()(s.w[0] * 31 + s.w[1] * 1000003 + s.w[2] * 7919 + s.w[3]);
  }
};

using Seq = std::vector<Elem>;

class Parser {
 public:
  Parser(std::string_view text, const std::string& name, Grammar& g) : s_(text), name_(name), g_(g) {}

  void parse_all() {
    skip_ws(true);
    while (i_ < s_.size()) {
      size_t name_at = i_;
      std::string name = parse_name();
      skip_ws(false);
      if (s_.substr(i_, 3) != "::=") error("expected ::= after rule name " + name);
      i_ += 3;
      int32_t id = rule_id(name);
      if (defined_[id]) error_at(name_at, "rule " + name + " defined twice");
      defined_[id] = true;
      alts_[id] = parse_alternatives(name, false);
      skip_ws(true);
    }
    for (size_t r = 0; r < defined_.size(); ++r) {
      if (!defined_[r]) error_at(first_use_[r], "undefined rule " + g_.rules[r].name);
    }
    auto it = rule_ids_.find("root");
    if (it == rule_ids_.end()) fail(name_, ": grammar has no root rule");
    g_.root = it->second;
    for (size_t r = 0; r < alts_.size(); ++r) {
      for (const Seq& alt : alts_[r]) {
        g_.rules[r].alts.push_back(int32_t(g_.elems.size()));
        g_.elems.insert(g_.elems.end(), alt.begin(), alt.end());
        g_.elems.push_back({ElemKind::end, int32_t(r)});
      }
    }
  }

 private:
  std::string_view s_;
  size_t i_ = 0;
  const std::string& name_;
  Grammar& g_;
  std::unordered_map<std::string, int32_t> rule_ids_;
  std::unordered_map<ByteSet, int32_t, ByteSetHash> set_ids_;
  std::vector<bool> defined_;
  std::vector<size_t> first_use_;
  std::vector<std::vector<Seq>> alts_;
  int32_t any_char_rule_ = -1;
  int depth_ = 0;  // nesting of ( groups ): bounded so hostile text cannot exhaust the stack

  [[noreturn]] void error_at(size_t at, const std::string& msg) const {
    size_t line = 1, col = 1;
    for (size_t k = 0; k < at && k < s_.size(); ++k) {
      if (s_[k] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    fail(name_, ":", std::to_string(line), ":", std::to_string(col), ": ", msg);
  }
  [[noreturn]] void error(const std::string& msg) const { error_at(i_, msg); }

  int32_t rule_id(const std::string& name) {
    auto it = rule_ids_.find(name);
    if (it != rule_ids_.end()) return it->second;
    int32_t id = int32_t(g_.rules.size());
    g_.rules.push_back({name, {}});
    defined_.push_back(false);
    first_use_.push_back(i_);
    alts_.emplace_back();
    rule_ids_[name] = id;
    return id;
  }

  int32_t new_helper(const std::string& parent, std::vector<Seq> alts) {
    std::string name = parent + "_" + std::to_string(g_.rules.size());
    int32_t id = rule_id(name);
    defined_[id] = true;
    alts_[id] = std::move(alts);
    return id;
  }

  int32_t set_id(const ByteSet& s) {
    auto it = set_ids_.find(s);
    if (it != set_ids_.end()) return it->second;
    int32_t id = int32_t(g_.byte_sets.size());
    g_.byte_sets.push_back(s);
    set_ids_[s] = id;
    return id;
  }

  Elem byte_elem(uint8_t lo, uint8_t hi) {
    ByteSet s;
    s.add_range(lo, hi);
    return {ElemKind::bytes, set_id(s)};
  }

  static bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  }

  // Skips spaces, tabs, comments and (if newlines) line breaks.
  void skip_ws(bool newlines) {
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == ' ' || c == '\t' || c == '\r' || (newlines && c == '\n')) {
        ++i_;
      } else if (c == '#') {
        while (i_ < s_.size() && s_[i_] != '\n') ++i_;
      } else {
        break;
      }
    }
  }

  std::string parse_name() {
    size_t b = i_;
    while (i_ < s_.size() && is_name_char(s_[i_])) ++i_;
    if (i_ == b) error(i_ < s_.size() ? std::string("unexpected character '") + s_[i_] + "'" : "unexpected end");
    return std::string(s_.substr(b, i_ - b));
  }

  // True when the text at i_ starts a new rule definition (`name ::=`).
  bool at_rule_start() const {
    size_t k = i_;
    while (k < s_.size() && is_name_char(s_[k])) ++k;
    if (k == i_) return false;
    while (k < s_.size() && (s_[k] == ' ' || s_[k] == '\t')) ++k;
    return s_.substr(k, 3) == "::=";
  }

  uint32_t decode_utf8() {
    uint8_t c = uint8_t(s_[i_]);
    int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i_ + n > s_.size()) error("invalid UTF-8 in grammar text");
    uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; k < n; ++k) {
      uint8_t d = uint8_t(s_[i_ + k]);
      if ((d & 0xC0) != 0x80) error("invalid UTF-8 in grammar text");
      cp = (cp << 6) | (d & 0x3F);
    }
    i_ += n;
    return cp;
  }

  uint32_t parse_hex(int n) {
    uint32_t v = 0;
    for (int k = 0; k < n; ++k) {
      if (i_ >= s_.size()) error("truncated escape");
      char c = s_[i_++];
      int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10
              : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
      if (d < 0) error("bad hex digit in escape");
      v = v * 16 + uint32_t(d);
    }
    if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) error("escape is not a Unicode scalar value");
    return v;
  }

  // One (possibly escaped) character of a literal or class.
  uint32_t parse_char() {
    if (i_ >= s_.size()) error("unexpected end inside literal or class");
    if (s_[i_] != '\\') return decode_utf8();
    ++i_;
    if (i_ >= s_.size()) error("unexpected end after backslash");
    char c = s_[i_++];
    switch (c) {
      case 'n': return '\n';
      case 'r': return '\r';
      case 't': return '\t';
      case 'x': return parse_hex(2);
      case 'u': return parse_hex(4);
      case 'U': return parse_hex(8);
      case '\\': case '"': case '\'': case '[': case ']': case '-': case '^': case '/': case '.':
        return uint8_t(c);
      default: error(std::string("unknown escape \\") + c);
    }
  }

  // Lowers a set of code point ranges to a sequence that matches exactly one such character.
  void emit_class(std::vector<CpRange> ranges, const std::string& rule, Seq& out) {
    std::sort(ranges.begin(), ranges.end(), [](CpRange a, CpRange b) { return a.lo < b.lo; });
    std::vector<ByteSeq> seqs;
    for (CpRange r : ranges) split_utf8(r.lo, r.hi, seqs);
    if (seqs.empty()) error("character class matches nothing");
    ByteSet single;
    std::vector<Seq> alts;
    for (const ByteSeq& bs : seqs) {
      if (bs.size() == 1) {
        single.add_range(bs[0].first, bs[0].second);
      } else {
        Seq a;
        for (auto [lo, hi] : bs) a.push_back(byte_elem(lo, hi));
        alts.push_back(std::move(a));
      }
    }
    if (alts.empty()) {
      out.push_back({ElemKind::bytes, set_id(single)});
      return;
    }
    if (single.count() > 0) alts.insert(alts.begin(), Seq{{ElemKind::bytes, set_id(single)}});
    out.push_back({ElemKind::rule, new_helper(rule, std::move(alts))});
  }

  void parse_class(const std::string& rule, Seq& out) {
    ++i_;  // [
    bool negate = i_ < s_.size() && s_[i_] == '^';
    if (negate) ++i_;
    std::vector<CpRange> ranges;
    while (true) {
      if (i_ >= s_.size()) error("unterminated character class");
      if (s_[i_] == ']') break;
      uint32_t lo = parse_char(), hi = lo;
      if (i_ + 1 < s_.size() && s_[i_] == '-' && s_[i_ + 1] != ']') {
        ++i_;
        hi = parse_char();
        if (hi < lo) error("character range is reversed");
      }
      ranges.push_back({lo, hi});
    }
    ++i_;  // ]
    if (negate) {
      std::sort(ranges.begin(), ranges.end(), [](CpRange a, CpRange b) { return a.lo < b.lo; });
      std::vector<CpRange> comp;
      uint32_t next = 0;
      for (CpRange r : ranges) {
        if (r.lo > next) comp.push_back({next, r.lo - 1});
        next = std::max(next, r.hi + 1);
      }
      if (next <= 0x10FFFF) comp.push_back({next, 0x10FFFF});
      ranges = comp;
    }
    emit_class(ranges, rule, out);
  }

  void emit_repeat(const Seq& item, int min, int max, const std::string& rule, Seq& out) {
    for (int k = 0; k < min; ++k) out.insert(out.end(), item.begin(), item.end());
    if (max < 0) {  // unbounded tail: R ::= item R |
      int32_t r = new_helper(rule, {});
      Seq a = item;
      a.push_back({ElemKind::rule, r});
      alts_[r] = {a, Seq{}};
      out.push_back({ElemKind::rule, r});
      return;
    }
    int32_t tail = -1;  // nested optionals: opt_k ::= item opt_{k-1} |
    for (int k = 0; k < max - min; ++k) {
      Seq a = item;
      if (tail >= 0) a.push_back({ElemKind::rule, tail});
      tail = new_helper(rule, {a, Seq{}});
    }
    if (tail >= 0) out.push_back({ElemKind::rule, tail});
  }

  int parse_int() {
    size_t b = i_;
    long v = 0;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') {
      v = v * 10 + (s_[i_++] - '0');
      if (v > 100000) error("repetition count too large");
    }
    if (i_ == b) error("expected a number in {m,n}");
    return int(v);
  }

  Seq parse_sequence(const std::string& rule, bool nested) {
    Seq seq;
    while (true) {
      skip_ws(nested);
      if (!nested) {  // a rule body may continue on the next line unless a new rule starts there
        size_t save = i_;
        skip_ws(true);
        if (i_ >= s_.size() || at_rule_start()) {
          i_ = save;
          return seq;
        }
      }
      if (i_ >= s_.size()) return seq;
      char c = s_[i_];
      if (c == '|' || c == ')') return seq;
      size_t item_start = seq.size();
      if (c == '"') {
        ++i_;
        while (true) {
          if (i_ >= s_.size()) error("unterminated string literal");
          if (s_[i_] == '"') break;
          std::string bytes;
          append_utf8(bytes, parse_char());
          for (char b : bytes) seq.push_back(byte_elem(uint8_t(b), uint8_t(b)));
        }
        ++i_;
        if (seq.size() == item_start) {  // "" is an empty item; wrap so postfix operators still apply
          seq.push_back({ElemKind::rule, new_helper(rule, {Seq{}})});
        }
      } else if (c == '[') {
        parse_class(rule, seq);
      } else if (c == '.') {
        ++i_;
        if (any_char_rule_ < 0) {
          Seq tmp;
          emit_class({{0, 0x10FFFF}}, "any_char", tmp);
          any_char_rule_ = tmp[0].arg;
        }
        seq.push_back({ElemKind::rule, any_char_rule_});
      } else if (c == '(') {
        if (depth_ >= kMaxGbnfNesting) {
          error("parentheses nested deeper than " + std::to_string(kMaxGbnfNesting) + " levels");
        }
        ++i_;
        ++depth_;
        std::vector<Seq> alts = parse_alternatives(rule, true);
        --depth_;
        if (i_ >= s_.size() || s_[i_] != ')') error("expected )");
        ++i_;
        seq.push_back({ElemKind::rule, new_helper(rule, std::move(alts))});
      } else if (is_name_char(c)) {
        std::string ref = parse_name();
        seq.push_back({ElemKind::rule, rule_id(ref)});
      } else {
        error(std::string("unexpected character '") + c + "'");
      }
      // postfix operators
      skip_ws(false);
      if (i_ < s_.size() && (s_[i_] == '*' || s_[i_] == '+' || s_[i_] == '?' || s_[i_] == '{')) {
        Seq item(seq.begin() + item_start, seq.end());
        seq.resize(item_start);
        int min = 0, max = -1;
        char op = s_[i_++];
        if (op == '+') {
          min = 1;
        } else if (op == '?') {
          max = 1;
        } else if (op == '{') {
          skip_ws(false);
          min = parse_int();
          skip_ws(false);
          max = min;
          if (i_ < s_.size() && s_[i_] == ',') {
            ++i_;
            skip_ws(false);
            max = (i_ < s_.size() && s_[i_] == '}') ? -1 : parse_int();
            skip_ws(false);
          }
          if (i_ >= s_.size() || s_[i_] != '}') error("expected } to close repetition");
          ++i_;
          if (max >= 0 && max < min) error("repetition {m,n} with n < m");
        }
        emit_repeat(item, min, max, rule, seq);
        skip_ws(false);
        if (i_ < s_.size() && (s_[i_] == '*' || s_[i_] == '+' || s_[i_] == '?' || s_[i_] == '{')) {
          error("repetition operator applied twice; use parentheses");
        }
      }
    }
  }

  std::vector<Seq> parse_alternatives(const std::string& rule, bool nested) {
    std::vector<Seq> alts;
    alts.push_back(parse_sequence(rule, nested));
    while (true) {
      size_t save = i_;
      skip_ws(true);
      if (i_ < s_.size() && s_[i_] == '|') {
        ++i_;
        alts.push_back(parse_sequence(rule, nested));
      } else {
        if (!nested) i_ = save;
        return alts;
      }
    }
  }
};

}  // namespace

Grammar parse_gbnf(std::string_view text, const std::string& name) {
  Grammar g;
  g.name = name;
  Parser p(text, name, g);
  p.parse_all();
  check_grammar(g);
  return g;
}

namespace {

// Rules that derive some finite string under a fixpoint where a byte set counts as derivable only when
// `bytes_ok` (false: nullable rules, the empty string; true: productive rules, any string). Worklist form,
// linear in the grammar: each alternative counts its rule references not yet known to derive.
std::vector<bool> derivable_rules(const Grammar& g, bool bytes_ok) {
  const size_t n = g.rules.size();
  std::vector<bool> ok(n, false);
  std::vector<int32_t> alt_rule, pending;                // per alternative
  std::vector<std::vector<int32_t>> uses(n);             // rule -> alternatives that reference it (per use)
  std::vector<int32_t> work;
  for (size_t r = 0; r < n; ++r) {
    for (int32_t p : g.rules[r].alts) {
      const int32_t a = int32_t(alt_rule.size());
      int32_t count = 0;
      bool blocked = false;
      for (int32_t q = p; g.elems[size_t(q)].kind != ElemKind::end; ++q) {
        const Elem& e = g.elems[size_t(q)];
        if (e.kind == ElemKind::bytes) {
          blocked = blocked || !bytes_ok;
        } else {
          ++count;
          uses[size_t(e.arg)].push_back(a);
        }
      }
      alt_rule.push_back(int32_t(r));
      pending.push_back(blocked ? -1 : count);  // -1: never derivable
      if (count == 0 && !blocked && !ok[r]) {
        ok[r] = true;
        work.push_back(int32_t(r));
      }
    }
  }
  while (!work.empty()) {
    const int32_t r = work.back();
    work.pop_back();
    for (int32_t a : uses[size_t(r)]) {
      if (pending[size_t(a)] <= 0 || --pending[size_t(a)] > 0) continue;
      const int32_t owner = alt_rule[size_t(a)];
      if (!ok[size_t(owner)]) {
        ok[size_t(owner)] = true;
        work.push_back(owner);
      }
    }
  }
  return ok;
}

}  // namespace

void check_grammar(const Grammar& g) {
  const size_t n = g.rules.size();
  if (g.root < 0 || size_t(g.root) >= n) fail(g.name, ": grammar has no root rule");
  for (const Rule& r : g.rules) {
    if (r.alts.empty()) fail(g.name, ": rule ", r.name, " has no alternatives");
  }
  const std::vector<bool> nullable = derivable_rules(g, false);
  // left-corner edges: rule -> rules that can start it without consuming input
  std::vector<std::vector<int32_t>> edges(n);
  for (size_t r = 0; r < n; ++r) {
    for (int32_t p : g.rules[r].alts) {
      for (int32_t q = p; g.elems[size_t(q)].kind != ElemKind::end; ++q) {
        const Elem& e = g.elems[size_t(q)];
        if (e.kind == ElemKind::bytes) break;
        edges[r].push_back(e.arg);
        if (!nullable[size_t(e.arg)]) break;
      }
    }
  }
  // A cycle of left-corner edges is left recursion: depth-first search with an explicit stack.
  std::vector<uint8_t> color(n, 0);  // 0 new, 1 on stack, 2 done
  std::vector<std::pair<int32_t, size_t>> stack;  // (rule, next edge)
  for (size_t start = 0; start < n; ++start) {
    if (color[start] != 0) continue;
    color[start] = 1;
    stack.push_back({int32_t(start), 0});
    while (!stack.empty()) {
      auto& [r, k] = stack.back();
      if (k == edges[size_t(r)].size()) {
        color[size_t(r)] = 2;
        stack.pop_back();
        continue;
      }
      const int32_t t = edges[size_t(r)][k++];
      if (color[size_t(t)] == 1) fail(g.name, ": left recursion through rule ", g.rules[size_t(t)].name);
      if (color[size_t(t)] == 0) {
        color[size_t(t)] = 1;
        stack.push_back({t, 0});
      }
    }
  }
  // Every rule the root can reach must derive a finite string, or the matcher would allow prefixes that
  // can never be completed (`root ::= "a" root` loops forever).
  const std::vector<bool> productive = derivable_rules(g, true);
  std::vector<bool> seen(n, false);
  std::vector<int32_t> todo = {g.root};
  seen[size_t(g.root)] = true;
  while (!todo.empty()) {
    const int32_t r = todo.back();
    todo.pop_back();
    if (!productive[size_t(r)]) {
      fail(g.name, ": rule ", g.rules[size_t(r)].name, " derives no finite string (every alternative recurses "
           "without end); give it an alternative that ends");
    }
    for (int32_t p : g.rules[size_t(r)].alts) {
      for (int32_t q = p; g.elems[size_t(q)].kind != ElemKind::end; ++q) {
        const Elem& e = g.elems[size_t(q)];
        if (e.kind == ElemKind::rule && !seen[size_t(e.arg)]) {
          seen[size_t(e.arg)] = true;
          todo.push_back(e.arg);
        }
      }
    }
  }
}

static void append_set(std::string& out, const ByteSet& s) {
  static const char* hex = "0123456789ABCDEF";
  auto put = [&](int b) {
    if (b >= 0x21 && b < 0x7F && b != '\\' && b != ']' && b != '-' && b != '^') {
      out += char(b);
    } else {
      out += "\\x";
      out += hex[b >> 4];
      out += hex[b & 15];
    }
  };
  out += '[';
  for (int b = 0; b < 256;) {
    if (!s.has(uint8_t(b))) {
      ++b;
      continue;
    }
    int e = b;
    while (e + 1 < 256 && s.has(uint8_t(e + 1))) ++e;
    put(b);
    if (e > b) {
      out += '-';
      put(e);
    }
    b = e + 1;
  }
  out += ']';
}

std::string Grammar::to_string() const {
  std::string out;
  for (const Rule& r : rules) {
    out += r.name + " ::=";
    for (size_t a = 0; a < r.alts.size(); ++a) {
      if (a) out += " |";
      for (int32_t q = r.alts[a]; elems[q].kind != ElemKind::end; ++q) {
        out += ' ';
        if (elems[q].kind == ElemKind::rule) {
          out += rules[elems[q].arg].name;
        } else {
          append_set(out, byte_sets[elems[q].arg]);
        }
      }
    }
    out += '\n';
  }
  return out;
}

}  // namespace sotto::grammar
