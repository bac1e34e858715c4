// regex-to-gbnf.cpp — the ECMAScript regex subset of JSON Schema `pattern` -> GBNF for JSON string content.
// Characters the pattern matches are emitted in their JSON-escaped form ('"' as \", '\' as \\, \n \r \t as
// escapes, other controls as \u00XX), so the grammar describes the bytes between the quotes. Unanchored
// sides are padded with json-char* (the caller defines the rule `json-char`: one JSON string character).
// Unsupported constructs (lookaround, backreferences, \b, named groups, anchors in the middle, flags) are a
// sotto::Error naming the construct and the schema path.
#include <algorithm>
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

  std::string convert() {
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
    std::string body = parse_alt();
    if (i_ != p_.size()) error("unbalanced ')'");
    std::string out;
    if (!start_anchor) out += "json-char* ";
    out += "(" + body + ")";
    if (!end_anchor) out += " json-char*";
    return out;
  }

 private:
  std::string_view p_;
  size_t i_ = 0;
  const std::string& where_;

  [[noreturn]] void error(const std::string& what) const {
    fail("pattern at ", where_, ": ", what, " (at offset ", std::to_string(i_), ")");
  }

  uint32_t decode() {
    uint8_t c = uint8_t(p_[i_]);
    int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i_ + size_t(n) > p_.size()) error("invalid UTF-8");
    uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; k < n; ++k) cp = (cp << 6) | (uint8_t(p_[i_ + size_t(k)]) & 0x3F);
    i_ += size_t(n);
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
      case 'u': cp = parse_hex4(); return false;
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
    std::vector<CpRange> r = normalize(in);
    std::vector<CpRange> plain;
    std::vector<std::string> alts;
    for (CpRange x : r) {
      for (uint32_t special : {uint32_t('"'), uint32_t('\\')}) {
        if (x.lo <= special && special <= x.hi) alts.push_back(json_char_literal(special));
      }
      for (uint32_t c = x.lo; c <= std::min<uint32_t>(x.hi, 0x1F); ++c) alts.push_back(json_char_literal(c));
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

  std::string parse_atom() {
    char c = p_[i_];
    if (c == '(') {
      ++i_;
      if (i_ < p_.size() && p_[i_] == '?') {
        if (i_ + 1 < p_.size() && p_[i_ + 1] == ':') {
          i_ += 2;
        } else {
          error("lookaround and named groups are not supported");
        }
      }
      std::string inner = parse_alt();
      if (i_ >= p_.size() || p_[i_] != ')') error("missing ')'");
      ++i_;
      return "(" + inner + ")";
    }
    if (c == '[') return parse_class();
    if (c == '.') {
      ++i_;
      return class_gbnf(complement({{'\n', '\n'}, {'\r', '\r'}, {0x2028, 0x2029}}));
    }
    if (c == '^' || c == '$') error("anchors are supported only at the start and end of the pattern");
    if (c == '*' || c == '+' || c == '?' || c == '{') error("nothing to repeat");
    if (c == '\\') {
      ++i_;
      std::vector<CpRange> esc;
      uint32_t cp;
      if (parse_escape(esc, cp, false)) return class_gbnf(esc);
      return json_char_literal(cp);
    }
    return json_char_literal(decode());
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

  std::string parse_seq() {
    std::string out;
    while (i_ < p_.size() && p_[i_] != '|' && p_[i_] != ')') {
      std::string atom = parse_atom();
      if (i_ < p_.size()) {
        char q = p_[i_];
        std::string op;
        if (q == '*' || q == '+' || q == '?') {
          op = std::string(1, q);
          ++i_;
        } else if (q == '{') {
          ++i_;
          int m = parse_count(), n = m;
          bool unbounded = false;
          if (i_ < p_.size() && p_[i_] == ',') {
            ++i_;
            if (i_ < p_.size() && p_[i_] == '}') {
              unbounded = true;
            } else {
              n = parse_count();
            }
          }
          if (i_ >= p_.size() || p_[i_] != '}') error("missing '}' in repetition");
          ++i_;
          if (!unbounded && n < m) error("repetition {m,n} with n < m");
          op = "{";
          op += std::to_string(m);
          if (unbounded) {
            op += ',';
          } else if (m != n) {
            op += ',';
            op += std::to_string(n);
          }
          op += '}';
        }
        if (!op.empty()) {
          atom = "(" + atom + ")" + op;
          if (i_ < p_.size() && p_[i_] == '?') ++i_;  // lazy quantifier: same language
          if (i_ < p_.size() && (p_[i_] == '*' || p_[i_] == '+' || p_[i_] == '{')) error("nested quantifier");
        }
      }
      out += (out.empty() ? "" : " ") + atom;
    }
    return out.empty() ? "\"\"" : out;
  }

  std::string parse_alt() {
    std::string out = parse_seq();
    while (i_ < p_.size() && p_[i_] == '|') {
      ++i_;
      out += " | " + parse_seq();
    }
    return out;
  }
};

}  // namespace

std::string regex_to_gbnf(std::string_view pattern, const std::string& where, const std::string& prefix,
                          std::string& rules) {
  (void)prefix;
  (void)rules;
  return RegexConv(pattern, where).convert();
}

}  // namespace sotto::grammar
