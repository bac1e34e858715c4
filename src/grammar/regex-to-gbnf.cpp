// regex-to-gbnf.cpp — the ECMAScript regex subset of JSON Schema `pattern` -> GBNF for JSON string content.
// Characters the pattern matches are emitted in their JSON-escaped form ('"' as \", '\' as \\, \n \r \t as
// escapes, other controls as \u00XX), so the grammar describes the bytes between the quotes. Unanchored
// sides are padded with json-char* (the caller defines the rule `json-char`: one JSON string character).
// Unsupported constructs (lookaround, backreferences, \b, named groups, anchors in the middle, flags) are a
// sotto::Error naming the construct and the schema path.
// The pattern is parsed into a small tree (one-character leaves, sequences, alternatives, repetitions) and
// emitted either as is, or intersected exactly with a length range (minLength/maxLength beside `pattern`):
// rules "strings of this subtree with length in [lo, hi]" are generated on demand and memoised, and any
// subtree whose every length already lies in the range is emitted unchanged, so the grammar stays small
// unless the pattern itself is long. Lengths count characters (code points), as JSON Schema does.
#include <algorithm>
#include <map>
#include <optional>
#include <tuple>
#include <vector>

#include "core/error.h"
#include "grammar/json-schema.h"

namespace sotto::grammar {

namespace {

struct CpRange {
  uint32_t lo, hi;
};

std::string hex_escape(uint32_t cp) {
  static const char* hex = "0123456789abcdef";
  std::string out = cp > 0xFFFF ? "\\U" : "\\u";
  int n = cp > 0xFFFF ? 8 : 4;
  for (int k = n - 1; k >= 0; --k) out += hex[(cp >> (4 * k)) & 15];
  return out;
}

// GBNF literal for the JSON-escaped form of one character.
std::string json_char_literal(uint32_t cp) {
  switch (cp) {
    case '"': return "\"\\\\\\\"\"";   // bytes \"
    case '\\': return "\"\\\\\\\\\"";  // bytes \\  (two backslashes)
    case '\n': return "\"\\\\n\"";
    case '\r': return "\"\\\\r\"";
    case '\t': return "\"\\\\t\"";
    default: break;
  }
  if (cp < 0x20) {
    static const char* hex = "0123456789abcdef";
    return std::string("\"\\\\u00") + hex[cp >> 4] + hex[cp & 15] + "\"";
  }
  std::string out(1, '"');
  out += hex_escape(cp);
  out += '"';
  return out;
}

std::vector<CpRange> normalize(std::vector<CpRange> r) {
  std::sort(r.begin(), r.end(), [](CpRange a, CpRange b) { return a.lo < b.lo; });
  std::vector<CpRange> out;
  for (CpRange x : r) {
    if (!out.empty() && x.lo <= out.back().hi + 1) {
      out.back().hi = std::max(out.back().hi, x.hi);
    } else {
      out.push_back(x);
    }
  }
  return out;
}

std::vector<CpRange> complement(const std::vector<CpRange>& r) {
  std::vector<CpRange> out;
  uint32_t next = 0;
  for (CpRange x : normalize(r)) {
    if (x.lo > next) out.push_back({next, x.lo - 1});
    next = x.hi + 1;
  }
  if (next <= 0x10FFFF) out.push_back({next, 0x10FFFF});
  return out;
}

const std::vector<CpRange> kDigit = {{'0', '9'}};
const std::vector<CpRange> kWord = {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}};
const std::vector<CpRange> kSpace = {{'\t', '\r'}, {' ', ' '}, {0xA0, 0xA0}, {0x1680, 0x1680},
                                     {0x2000, 0x200A}, {0x2028, 0x2029}, {0x202F, 0x202F},
                                     {0x205F, 0x205F}, {0x3000, 0x3000}, {0xFEFF, 0xFEFF}};

class RegexConv {
 public:
  RegexConv(std::string_view p, const std::string& where) : p_(p), where_(where) {}

  // Plain: min_len 0 and max_len -1. Helper rules ("name ::= body" lines) are appended to `rules`.
  std::string convert(int min_len, int max_len, const std::string& prefix, std::string& rules) {
    size_t b = 0, e = p_.size();
    bool start_anchor = false, end_anchor = false;
    if (e > 0 && p_[0] == '^') {
      start_anchor = true;
      b = 1;
    }
    if (e > b && p_[e - 1] == '$') {
      size_t bs = 0;
      while (e >= 2 + bs && p_[e - 2 - bs] == '\\') ++bs;
      if (bs % 2 == 0) {
        end_anchor = true;
        --e;
      }
    }
    p_ = p_.substr(0, e);
    i_ = b;
    int body = parse_alt();
    if (i_ != p_.size()) error("unbalanced ')'");
    Node root = make(Node::Seq);
    const int pad = add(make(Node::Rep, "", {add(make(Node::Char, "json-char"))}, 0, kInf));
    if (!start_anchor) root.kids.push_back(pad);
    root.kids.push_back(body);
    if (!end_anchor) root.kids.push_back(pad);
    const int r = add(root);
    if (min_len == 0 && max_len < 0) return plain(r);
    prefix_ = prefix;
    rules_ = &rules;
    auto out = bounded(r, min_len, max_len < 0 ? kInf : max_len);
    if (!out) fail("pattern at ", where_, ": no string matches it with length in [", std::to_string(min_len), ", ",
                   max_len < 0 ? std::string("inf") : std::to_string(max_len), "]");
    return *out;
  }

 private:
  static constexpr int kInf = 1 << 29;  // unbounded length or count
  struct Node {
    enum Kind { Char, Seq, Alt, Rep } kind = Char;
    std::string text;        // Char: GBNF for one character
    std::vector<int> kids;   // Seq, Alt: children; Rep: the repeated node
    int lo = 0, hi = 0;      // Rep: count range (hi may be kInf)
    int min_len = 0, max_len = 0;  // characters, max_len may be kInf
  };
  static Node make(Node::Kind kind, std::string text = {}, std::vector<int> kids = {}, int lo = 0, int hi = 0) {
    Node n;
    n.kind = kind;
    n.text = std::move(text);
    n.kids = std::move(kids);
    n.lo = lo;
    n.hi = hi;
    return n;
  }
  using Key = std::tuple<int, int, int, int, int, int>;

  std::string_view p_;
  size_t i_ = 0;
  const std::string& where_;
  std::vector<Node> nodes_;
  std::string prefix_;
  std::string* rules_ = nullptr;
  std::map<Key, std::optional<std::string>> memo_;
  int group_depth_ = 0;  // nesting of ( groups ) while parsing: bounded (the parser and plain() recurse per level)
  size_t nonempty_chars_ = 0;  // text written by plain_nonempty() (capped)
  int depth_ = 0;  // recursion depth of bounded(): capped so a long length range cannot exhaust the stack
  struct DepthGuard {
    RegexConv* c;
    explicit DepthGuard(RegexConv* conv) : c(conv) {
      if (++c->depth_ > 1500) {
        fail("pattern at ", c->where_, ": minLength/maxLength beside this pattern needs too large a grammar");
      }
    }
    ~DepthGuard() { --c->depth_; }
  };
  std::map<std::string, std::string> rule_by_body_;

  static int add_len(long long a, long long b) { return int(std::min<long long>(a + b, kInf)); }
  static int sub_len(int hi, int k) { return hi == kInf ? kInf : hi - k; }

  int add(Node n) {
    switch (n.kind) {
      case Node::Char: n.min_len = n.max_len = 1; break;
      case Node::Seq:
        for (int k : n.kids) {
          n.min_len = add_len(n.min_len, nodes_[size_t(k)].min_len);
          n.max_len = add_len(n.max_len, nodes_[size_t(k)].max_len);
        }
        break;
      case Node::Alt:
        n.min_len = kInf;
        for (int k : n.kids) {
          n.min_len = std::min(n.min_len, nodes_[size_t(k)].min_len);
          n.max_len = std::max(n.max_len, nodes_[size_t(k)].max_len);
        }
        break;
      case Node::Rep: {
        // A repeated node that can match the empty string would lower to left-recursive GBNF ("(a?)*" becomes
        // r ::= a? r | ""): repeat its non-empty strings instead, from zero times (the same language).
        if (nodes_[size_t(n.kids[0])].min_len == 0) {
          if (n.hi == 0 || nodes_[size_t(n.kids[0])].max_len == 0) return add(make(Node::Seq));  // only ""
          n.kids[0] = nonempty(n.kids[0]);
          n.lo = 0;
        }
        const Node& x = nodes_[size_t(n.kids[0])];
        n.min_len = int(std::min<long long>(1LL * x.min_len * n.lo, kInf));
        n.max_len = x.max_len == 0 ? 0 : (n.hi == kInf || x.max_len == kInf) ? kInf
                                         : int(std::min<long long>(1LL * x.max_len * n.hi, kInf));
        break;
      }
    }
    nodes_.push_back(std::move(n));
    return int(nodes_.size() - 1);
  }

  static std::string rep_op(int lo, int hi) {
    if (lo == 0 && hi == kInf) return "*";
    if (lo == 1 && hi == kInf) return "+";
    if (lo == 0 && hi == 1) return "?";
    std::string out(1, '{');
    out += std::to_string(lo);
    if (lo != hi) {
      out += ',';
      if (hi != kInf) out += std::to_string(hi);
    }
    out += '}';
    return out;
  }

  // A node for the strings of node `id` less the empty one; -1 when it matches only the empty string.
  int nonempty(int id) {
    const Node n = nodes_[size_t(id)];  // a copy: add() may move nodes_
    if (n.min_len > 0) return id;
    if (n.max_len == 0) return -1;
    switch (n.kind) {
      case Node::Char: return id;  // (a character is never empty)
      case Node::Rep: return add(make(Node::Rep, "", n.kids, 1, n.hi));  // its child is non-empty (add())
      case Node::Alt: {
        std::vector<int> kids;
        for (int k : n.kids) {
          if (const int x = nonempty(k); x >= 0) kids.push_back(x);
        }
        return kids.size() == 1 ? kids[0] : add(make(Node::Alt, "", kids));
      }
      case Node::Seq: {  // every kid can be empty: kid k non-empty, those before it empty, those after anything
        std::vector<int> alts;
        for (size_t k = 0; k < n.kids.size(); ++k) {
          const int x = nonempty(n.kids[k]);
          if (x < 0) continue;
          std::vector<int> seq{x};
          seq.insert(seq.end(), n.kids.begin() + ptrdiff_t(k) + 1, n.kids.end());
          alts.push_back(seq.size() == 1 ? x : add(make(Node::Seq, "", seq)));
        }
        return alts.size() == 1 ? alts[0] : add(make(Node::Alt, "", alts));
      }
    }
    return id;
  }

  // The node's language as GBNF, unchanged.
  std::string plain(int id) {
    const Node& n = nodes_[size_t(id)];
    switch (n.kind) {
      case Node::Char: return n.text;
      case Node::Seq: return plain_seq(id, 0);
      case Node::Alt: {
        std::string out = "(";
        for (size_t k = 0; k < n.kids.size(); ++k) out += (k ? " | " : "") + plain(n.kids[k]);
        return out + ")";
      }
      case Node::Rep: return plain_rep(id, n.lo, n.hi);
    }
    return "";
  }
  std::string plain_seq(int id, size_t from) {
    const Node& n = nodes_[size_t(id)];
    std::string out;
    for (size_t k = from; k < n.kids.size(); ++k) {
      if (!out.empty()) out += ' ';
      out += plain(n.kids[k]);
    }
    if (out.empty()) return "\"\"";
    out.insert(out.begin(), '(');
    out += ')';
    return named(std::move(out));
  }
  std::string plain_rep(int id, int lo, int hi) {
    if (hi == 0) return "\"\"";
    const int xid = nodes_[size_t(id)].kids[0];
    if (hi == kInf && nodes_[size_t(xid)].min_len == 0) {
      // X{lo,} where X can be empty ("(a*)*"): the same strings as (X without "")*, which the GBNF parser takes
      // (X* itself would be a left-recursive rule); lo is met by empty repetitions.
      const std::optional<std::string> x = plain_nonempty(xid);
      return x ? named("(" + *x + ")*") : "\"\"";
    }
    std::string out(1, '(');
    out += plain(nodes_[size_t(id)].kids[0]);
    out += ')';
    out += rep_op(lo, hi);
    return named(std::move(out));
  }

  // The node's strings except the empty one, as GBNF; nullopt when the empty string is all it has.
  // Rewriting a sequence of n parts that can each be empty takes n alternatives, each with the rest of the
  // sequence: past 1 MiB of text that is an error, as in length-bounded mode.
  std::optional<std::string> plain_nonempty(int id) {
    DepthGuard guard(this);
    const Node& n = nodes_[size_t(id)];
    if (n.max_len == 0) return std::nullopt;
    if (n.min_len > 0) return plain(id);
    std::vector<std::string> alts;
    switch (n.kind) {
      case Node::Char: return plain(id);  // unreachable: a character's length is 1
      case Node::Alt:
        for (int k : n.kids) {
          if (auto x = plain_nonempty(k)) alts.push_back(*x);
        }
        break;
      case Node::Seq:  // every part can be empty: the first non-empty one, then the rest as it is
        for (size_t k = 0; k < n.kids.size(); ++k) {
          if (auto x = plain_nonempty(n.kids[k])) alts.push_back(*x + " " + plain_seq(id, k + 1));
        }
        break;
      case Node::Rep: {  // X{lo,hi}: one non-empty X, then X{0,hi-1} (the empty repetitions dropped)
        auto x = plain_nonempty(n.kids[0]);
        if (!x) return std::nullopt;
        if (n.hi == kInf) return named("(" + *x + ")+");
        return n.hi == 1 ? *x : named("(" + *x + " " + plain_rep(id, 0, n.hi - 1) + ")");
      }
    }
    if (alts.empty()) return std::nullopt;
    std::string out = "(";
    for (size_t k = 0; k < alts.size(); ++k) out += (k ? " | " : "") + alts[k];
    out += ")";
    nonempty_chars_ += out.size();
    if (nonempty_chars_ > (size_t(1) << 20)) {
      fail("pattern at ", where_, ": a repeated group that can match the empty string is too large to rewrite");
    }
    return named(std::move(out));
  }

  // In length-bounded mode every compound expression gets a rule of its own (deduplicated), so the GBNF
  // parser makes its groups and repeats once, not at each of the many places a rule body uses it.
  std::string named(std::string body) {
    if (!rules_ || body.find_first_of("( ") == std::string::npos) return body;
    return make_rule({std::move(body)}, true);
  }

  std::string make_rule(const std::vector<std::string>& alts, bool always = false) {
    std::string body;
    for (size_t k = 0; k < alts.size(); ++k) body += (k ? " | " : "") + alts[k];
    if (alts.size() == 1 && !always) return named(body);
    auto it = rule_by_body_.find(body);
    if (it != rule_by_body_.end()) return it->second;
    if (rule_by_body_.size() > 20000 || rules_->size() > (size_t(4) << 20)) {  // 20000 rules or 4 MiB of text
      fail("pattern at ", where_, ": minLength/maxLength beside this pattern needs too large a grammar");
    }
    std::string name = (prefix_.empty() ? std::string("pat") : prefix_) + "-r" + std::to_string(rule_by_body_.size());
    rule_by_body_[body] = name;
    *rules_ += name + " ::= " + body + "\n";
    return name;
  }

  // Strings of node `id` with length in [lo, hi] (hi may be kInf); nullopt when there are none.
  std::optional<std::string> bounded(int id, int lo, int hi) {
    DepthGuard guard(this);
    const Node& n = nodes_[size_t(id)];
    if (hi < n.min_len || lo > n.max_len) return std::nullopt;
    if (lo <= n.min_len && n.max_len <= hi) return named(plain(id));
    switch (n.kind) {
      case Node::Char: return std::nullopt;  // unreachable: a character's length is 1
      case Node::Seq: return seq_from(id, 0, lo, hi);
      case Node::Rep: {
        const bool nullable = nodes_[size_t(n.kids[0])].min_len == 0;
        return rep_from(id, nullable ? 0 : n.lo, n.hi, lo, hi);
      }
      case Node::Alt: break;
    }
    Key key{0, id, 0, 0, lo, hi};
    if (auto it = memo_.find(key); it != memo_.end()) return it->second;
    std::vector<std::string> alts;
    for (int k : n.kids) {
      if (auto x = bounded(k, lo, hi)) alts.push_back(*x);
    }
    std::optional<std::string> out;
    if (!alts.empty()) out = make_rule(alts);
    return memo_[key] = out;
  }

  // Concatenations of kids[from..] of Seq node `id`, length in [lo, hi].
  std::optional<std::string> seq_from(int id, size_t from, int lo, int hi) {
    DepthGuard guard(this);
    const std::vector<int>& kids = nodes_[size_t(id)].kids;
    if (from == kids.size()) return lo <= 0 ? std::optional<std::string>("\"\"") : std::nullopt;
    if (from + 1 == kids.size()) return bounded(kids[from], lo, hi);
    int rmin = 0, rmax = 0;  // of kids[from + 1..]
    for (size_t k = from + 1; k < kids.size(); ++k) {
      rmin = add_len(rmin, nodes_[size_t(kids[k])].min_len);
      rmax = add_len(rmax, nodes_[size_t(kids[k])].max_len);
    }
    const Node& a = nodes_[size_t(kids[from])];
    if (hi < add_len(a.min_len, rmin) || lo > add_len(a.max_len, rmax)) return std::nullopt;
    if (lo <= add_len(a.min_len, rmin) && add_len(a.max_len, rmax) <= hi) return plain_seq(id, from);
    Key key{1, id, int(from), 0, lo, hi};
    if (auto it = memo_.find(key); it != memo_.end()) return it->second;
    std::vector<std::string> alts;
    // Lengths k of the first part from `split` on leave the rest unconstrained below (hi is kInf).
    const int split = hi == kInf ? std::max(lo - rmin, a.min_len) : kInf;
    const int k_end = std::min({a.max_len, sub_len(hi, rmin), split - 1});
    for (int k = a.min_len; k <= k_end; ++k) {
      auto x = bounded(kids[from], k, k);
      if (!x) continue;
      auto rest = seq_from(id, from + 1, std::max(lo - k, 0), sub_len(hi, k));
      if (rest) alts.push_back(*x + " " + *rest);
    }
    if (split != kInf && split <= a.max_len) {
      if (auto x = bounded(kids[from], split, kInf)) alts.push_back(*x + " " + plain_seq(id, from + 1));
    }
    std::optional<std::string> out;
    if (!alts.empty()) out = make_rule(alts);
    return memo_[key] = out;
  }

  // c_lo..c_hi non-empty repetitions of Rep node `id`'s child, total length in [lo, hi].
  std::optional<std::string> rep_from(int id, int c_lo, int c_hi, int lo, int hi) {
    DepthGuard guard(this);
    const int xid = nodes_[size_t(id)].kids[0];
    const Node& x = nodes_[size_t(xid)];
    if (hi != kInf) c_hi = std::min(c_hi, hi);  // every repetition taken here has at least one character
    if (c_lo > c_hi) return std::nullopt;
    if (c_hi == 0) return lo <= 0 ? std::optional<std::string>("\"\"") : std::nullopt;
    const int tmin = int(std::min<long long>(1LL * c_lo * std::max(x.min_len, 1), kInf));
    const int tmax = x.max_len == kInf || c_hi == kInf ? kInf : int(std::min<long long>(1LL * c_hi * x.max_len, kInf));
    if (hi < tmin || lo > tmax) return std::nullopt;
    if (x.min_len > 0 && lo <= tmin && tmax <= hi) return plain_rep(id, c_lo, c_hi);
    if (x.min_len > 0 && x.min_len == x.max_len) {  // fixed length L: the length range is a count range
      const int L = x.min_len;
      const int n_lo = std::max(c_lo, (lo + L - 1) / L), n_hi = std::min(c_hi, hi == kInf ? kInf : hi / L);
      if (n_lo > n_hi) return std::nullopt;
      return plain_rep(id, n_lo, n_hi);
    }
    Key key{2, id, c_lo, c_hi, lo, hi};
    if (auto it = memo_.find(key); it != memo_.end()) return it->second;
    std::vector<std::string> alts;
    if (c_lo == 0 && lo <= 0) alts.push_back("\"\"");
    const int next_lo = std::max(c_lo - 1, 0), next_hi = c_hi == kInf ? kInf : c_hi - 1;
    const int k_begin = std::max(x.min_len, 1);
    const int split = hi == kInf ? std::max(lo, k_begin) : kInf;
    const int k_end = std::min({x.max_len, hi, split - 1});
    for (int k = k_begin; k <= k_end; ++k) {
      auto one = bounded(xid, k, k);
      if (!one) continue;
      auto rest = rep_from(id, next_lo, next_hi, std::max(lo - k, 0), sub_len(hi, k));
      if (rest) alts.push_back(*one + " " + *rest);
    }
    if (split != kInf && split <= x.max_len) {
      // The rest is unconstrained; empty repetitions of a nullable child are dropped without loss.
      if (auto one = bounded(xid, split, kInf)) alts.push_back(*one + " " + plain_rep(id, next_lo, next_hi));
    }
    std::optional<std::string> out;
    if (!alts.empty()) out = make_rule(alts);
    return memo_[key] = out;
  }

  [[noreturn]] void error(const std::string& what) const {
    fail("pattern at ", where_, ": ", what, " (at offset ", std::to_string(i_), ")");
  }

  uint32_t decode() {
    uint8_t c = uint8_t(p_[i_]);
    int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i_ + size_t(n) > p_.size()) error("invalid UTF-8");
    uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; k < n; ++k) {
      const uint8_t b = uint8_t(p_[i_ + size_t(k)]);
      if ((b & 0xC0) != 0x80) error("invalid UTF-8");
      cp = (cp << 6) | (b & 0x3F);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are not characters.
    static constexpr uint32_t kMinCp[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinCp[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) error("invalid UTF-8");
    i_ += size_t(n);
    return cp;
  }

  // After "\u": one character; a high surrogate must be followed by "\u" and a low one (the pair is one
  // character, as in ECMAScript); a lone surrogate is not a character.
  uint32_t parse_u_escape() {
    uint32_t cp = parse_hex4();
    if (cp >= 0xDC00 && cp <= 0xDFFF) error("lone surrogate in \\u escape");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (p_.substr(i_, 2) != "\\u") error("lone surrogate in \\u escape");
      i_ += 2;
      const uint32_t lo = parse_hex4();
      if (lo < 0xDC00 || lo > 0xDFFF) error("lone surrogate in \\u escape");
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    return cp;
  }

  uint32_t parse_hex4() {
    if (i_ + 4 > p_.size()) error("truncated \\u escape");
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      char c = p_[i_++];
      int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10
              : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
      if (d < 0) error("bad hex digit in \\u escape");
      v = v * 16 + uint32_t(d);
    }
    return v;
  }

  // After a backslash: fills `ranges` for a class escape and returns true, or returns false with `cp` set.
  bool parse_escape(std::vector<CpRange>& ranges, uint32_t& cp, bool in_class) {
    if (i_ >= p_.size()) error("pattern ends with a backslash");
    char c = p_[i_++];
    switch (c) {
      case 'd': ranges = kDigit; return true;
      case 'w': ranges = kWord; return true;
      case 's': ranges = kSpace; return true;
      case 'D': ranges = complement(kDigit); return true;
      case 'W': ranges = complement(kWord); return true;
      case 'S': ranges = complement(kSpace); return true;
      case 'n': cp = '\n'; return false;
      case 'r': cp = '\r'; return false;
      case 't': cp = '\t'; return false;
      case 'f': cp = '\f'; return false;
      case 'v': cp = '\v'; return false;
      case '0': cp = 0; return false;
      case 'u': cp = parse_u_escape(); return false;
      case 'b':
        if (in_class) {
          cp = '\b';
          return false;
        }
        error("word boundary \\b is not supported");
      case 'B': error("\\B is not supported");
      case 'k': error("named backreference is not supported");
      default: break;
    }
    if (c >= '1' && c <= '9') error("backreference is not supported");
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) error(std::string("unknown escape \\") + c);
    --i_;
    cp = decode();  // escaped punctuation is itself
    return false;
  }

  // GBNF for one character from `ranges`: plain characters as a class, the ones JSON must escape as
  // their escaped literal.
  std::string class_gbnf(const std::vector<CpRange>& in) {
    // Surrogates are not characters: a complement ([^\ue000]) or a range across them ([a-\uffff]) matches the
    // scalar values on either side only.
    std::vector<CpRange> r;
    for (CpRange x : normalize(in)) {
      if (x.hi < 0xD800 || x.lo > 0xDFFF) {
        r.push_back(x);
        continue;
      }
      if (x.lo < 0xD800) r.push_back({x.lo, 0xD7FF});
      if (x.hi > 0xDFFF) r.push_back({0xE000, x.hi});
    }
    std::vector<CpRange> plain;
    std::vector<std::string> alts;
    // Characters JSON writes escaped share one alternative after the backslash, so every position of a
    // repeated class adds few automaton states: \" \\ \n \r \t, and \u00XX for the other controls.
    auto in_class = [&](uint32_t c) {
      for (CpRange x : r) {
        if (x.lo <= c && c <= x.hi) return true;
      }
      return false;
    };
    std::string named;
    const std::pair<uint32_t, char> kNamed[] = {{'"', '"'}, {'\\', '\\'}, {'\n', 'n'}, {'\r', 'r'}, {'\t', 't'}};
    for (auto [c, letter] : kNamed) {
      if (in_class(c)) named += hex_escape(uint32_t(letter));
    }
    std::vector<std::string> esc;
    if (!named.empty()) esc.push_back("[" + named + "]");
    std::vector<std::string> hex_alts;
    for (uint32_t hi_nib = 0; hi_nib < 2; ++hi_nib) {
      std::string lows;
      for (uint32_t lo_nib = 0; lo_nib < 16; ++lo_nib) {
        const uint32_t c = hi_nib * 16 + lo_nib;
        if (c == '\n' || c == '\r' || c == '\t' || !in_class(c)) continue;
        lows += hex_escape(uint32_t("0123456789abcdef"[lo_nib]));
        if (lo_nib >= 10) lows += hex_escape(uint32_t("0123456789ABCDEF"[lo_nib]));
      }
      if (!lows.empty()) hex_alts.push_back(std::string("\"") + char('0' + hi_nib) + "\" [" + lows + "]");
    }
    if (!hex_alts.empty()) {
      std::string h = "\"u00\" ";
      if (hex_alts.size() == 1) {
        h += hex_alts[0];
      } else {
        h += "(" + hex_alts[0] + " | " + hex_alts[1] + ")";
      }
      esc.push_back(h);
    }
    if (!esc.empty()) {
      alts.push_back("\"\\\\\" " + (esc.size() == 1 ? esc[0] : "(" + esc[0] + " | " + esc[1] + ")"));
    }
    for (CpRange x : r) {
      // plain part: x minus controls, '"' and '\'
      std::vector<CpRange> pieces = {{std::max<uint32_t>(x.lo, 0x20), x.hi}};
      for (uint32_t special : {uint32_t('"'), uint32_t('\\')}) {
        std::vector<CpRange> next;
        for (CpRange y : pieces) {
          if (y.lo > y.hi) continue;
          if (special < y.lo || special > y.hi) {
            next.push_back(y);
            continue;
          }
          if (y.lo < special) next.push_back({y.lo, special - 1});
          if (special < y.hi) next.push_back({special + 1, y.hi});
        }
        pieces = next;
      }
      for (CpRange y : pieces) {
        if (y.lo <= y.hi) plain.push_back(y);
      }
    }
    if (!plain.empty()) {
      std::string cls = "[";
      for (CpRange y : plain) {
        cls += hex_escape(y.lo);
        if (y.hi > y.lo) {
          cls += '-';
          cls += hex_escape(y.hi);
        }
      }
      alts.insert(alts.begin(), cls + "]");
    }
    if (alts.empty()) error("character class matches nothing");
    if (alts.size() == 1) return alts[0];
    std::string out = "(";
    for (size_t k = 0; k < alts.size(); ++k) out += (k ? " | " : "") + alts[k];
    return out + ")";
  }

  std::string parse_class() {
    ++i_;  // [
    bool negate = i_ < p_.size() && p_[i_] == '^';
    if (negate) ++i_;
    std::vector<CpRange> ranges;
    bool first = true;
    while (true) {
      if (i_ >= p_.size()) error("unterminated character class");
      if (p_[i_] == ']' && !first) break;
      first = false;
      std::vector<CpRange> esc;
      uint32_t lo;
      if (p_[i_] == '\\') {
        ++i_;
        if (parse_escape(esc, lo, true)) {
          ranges.insert(ranges.end(), esc.begin(), esc.end());
          continue;
        }
      } else {
        lo = decode();
      }
      uint32_t hi = lo;
      if (i_ + 1 < p_.size() && p_[i_] == '-' && p_[i_ + 1] != ']') {
        ++i_;
        if (p_[i_] == '\\') {
          ++i_;
          if (parse_escape(esc, hi, true)) error("class escape as a range end");
        } else {
          hi = decode();
        }
        if (hi < lo) error("reversed range in character class");
      }
      ranges.push_back({lo, hi});
    }
    ++i_;  // ]
    return class_gbnf(negate ? complement(ranges) : ranges);
  }

  int leaf(std::string text) { return add(make(Node::Char, std::move(text))); }

  int parse_atom() {
    char c = p_[i_];
    if (c == '(') {
      if (group_depth_ >= kMaxPatternNesting) {
        error("groups nested deeper than " + std::to_string(kMaxPatternNesting) + " levels");
      }
      ++i_;
      if (i_ < p_.size() && p_[i_] == '?') {
        if (i_ + 1 < p_.size() && p_[i_ + 1] == ':') {
          i_ += 2;
        } else {
          error("lookaround and named groups are not supported");
        }
      }
      ++group_depth_;
      int inner = parse_alt();
      --group_depth_;
      if (i_ >= p_.size() || p_[i_] != ')') error("missing ')'");
      ++i_;
      return inner;
    }
    if (c == '[') return leaf(parse_class());
    if (c == '.') {
      ++i_;
      return leaf(class_gbnf(complement({{'\n', '\n'}, {'\r', '\r'}, {0x2028, 0x2029}})));
    }
    if (c == '^' || c == '$') error("anchors are supported only at the start and end of the pattern");
    if (c == '*' || c == '+' || c == '?' || c == '{') error("nothing to repeat");
    if (c == '\\') {
      ++i_;
      std::vector<CpRange> esc;
      uint32_t cp;
      if (parse_escape(esc, cp, false)) return leaf(class_gbnf(esc));
      return leaf(json_char_literal(cp));
    }
    return leaf(json_char_literal(decode()));
  }

  int parse_count() {
    size_t b = i_;
    long v = 0;
    while (i_ < p_.size() && p_[i_] >= '0' && p_[i_] <= '9') {
      v = v * 10 + (p_[i_++] - '0');
      if (v > 10000) error("repetition count above 10000");
    }
    if (i_ == b) error("expected a number in {m,n}");
    return int(v);
  }

  int parse_seq() {
    Node seq = make(Node::Seq);
    while (i_ < p_.size() && p_[i_] != '|' && p_[i_] != ')') {
      int atom = parse_atom();
      if (i_ < p_.size()) {
        char q = p_[i_];
        int m = -1, n = -1;
        if (q == '*' || q == '+' || q == '?') {
          m = q == '+' ? 1 : 0;
          n = q == '?' ? 1 : kInf;
          ++i_;
        } else if (q == '{') {
          ++i_;
          m = parse_count();
          n = m;
          if (i_ < p_.size() && p_[i_] == ',') {
            ++i_;
            if (i_ < p_.size() && p_[i_] == '}') {
              n = kInf;
            } else {
              n = parse_count();
            }
          }
          if (i_ >= p_.size() || p_[i_] != '}') error("missing '}' in repetition");
          ++i_;
          if (n < m) error("repetition {m,n} with n < m");
        }
        if (m >= 0) {
          atom = add(make(Node::Rep, "", {atom}, m, n));
          if (i_ < p_.size() && p_[i_] == '?') ++i_;  // lazy quantifier: same language
          if (i_ < p_.size() && (p_[i_] == '*' || p_[i_] == '+' || p_[i_] == '{')) error("nested quantifier");
        }
      }
      seq.kids.push_back(atom);
    }
    return add(seq);
  }

  int parse_alt() {
    Node alt = make(Node::Alt, "", {parse_seq()});
    while (i_ < p_.size() && p_[i_] == '|') {
      ++i_;
      alt.kids.push_back(parse_seq());
    }
    return alt.kids.size() == 1 ? alt.kids[0] : add(alt);
  }
};

}  // namespace

std::string regex_to_gbnf(std::string_view pattern, const std::string& where, const std::string& prefix,
                          std::string& rules, int min_len, int max_len) {
  return RegexConv(pattern, where).convert(min_len, max_len, prefix, rules);
}

}  // namespace sotto::grammar
