// json.cpp — see json.h. A recursive-descent parser over the input bytes with line/column tracking.
#include "core/json.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unordered_set>

#include "core/error.h"
#include "core/utf8.h"

namespace sotto::json {

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::Null: return "null";
    case Kind::Bool: return "a boolean";
    case Kind::Number: return "a number";
    case Kind::String: return "a string";
    case Kind::Array: return "an array";
    case Kind::Object: return "an object";
  }
  return "?";
}

namespace {
[[noreturn]] void wrong(Kind have, const char* want) { fail("JSON value is ", kind_name(have), ", expected ", want); }

}  // namespace

bool Value::boolean() const {
  if (kind_ != Kind::Bool) wrong(kind_, "a boolean");
  return b_;
}
double Value::number() const {
  if (kind_ != Kind::Number) wrong(kind_, "a number");
  return d_;
}
int64_t Value::integer() const {
  if (kind_ != Kind::Number) wrong(kind_, "an integer");
  if (is_int_) return i_;
  if (std::floor(d_) == d_ && std::fabs(d_) < 9.0e15) return int64_t(d_);
  fail("JSON number ", std::to_string(d_), " is not an integer");
}
const std::string& Value::str() const {
  if (kind_ != Kind::String) wrong(kind_, "a string");
  return s_;
}
const std::vector<Value>& Value::arr() const {
  if (kind_ != Kind::Array) wrong(kind_, "an array");
  return a_;
}
const std::vector<std::pair<std::string, Value>>& Value::obj() const {
  if (kind_ != Kind::Object) wrong(kind_, "an object");
  return o_;
}
const Value* Value::find(std::string_view key) const {
  if (kind_ != Kind::Object) return nullptr;
  for (const auto& [k, v] : o_) {
    if (k == key) return &v;
  }
  return nullptr;
}
const Value& Value::at(std::string_view key) const {
  if (kind_ != Kind::Object) fail("JSON value is ", kind_name(kind_), ", expected an object with key '", std::string(key), "'");
  const Value* v = find(key);
  if (!v) fail("JSON object has no key '", std::string(key), "'");
  return *v;
}
void Value::push_back(Value v) {
  if (kind_ != Kind::Array) wrong(kind_, "an array");
  a_.push_back(std::move(v));
}
void Value::set(std::string key, Value v) {
  if (kind_ != Kind::Object) wrong(kind_, "an object");
  for (auto& [k, old] : o_) {
    if (k == key) {
      old = std::move(v);
      return;
    }
  }
  o_.emplace_back(std::move(key), std::move(v));
}

class Parser {
 public:
  Parser(std::string_view t, const std::string& name) : t_(t), name_(name) {}

  Value document() {
    ws();
    Value v = value(0);
    ws();
    if (p_ != t_.size()) error("unexpected text after the JSON value");
    return v;
  }

 private:
  [[noreturn]] void error(const std::string& msg) const {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < p_ && i < t_.size(); i++) {
      if (t_[i] == '\n') {
        line++;
        col = 1;
      } else {
        col++;
      }
    }
    fail(name_, ":", std::to_string(line), ":", std::to_string(col), ": ", msg);
  }
  void ws() {
    while (p_ < t_.size() && (t_[p_] == ' ' || t_[p_] == '\t' || t_[p_] == '\n' || t_[p_] == '\r')) p_++;
  }
  bool eat(char c) {
    if (p_ < t_.size() && t_[p_] == c) {
      p_++;
      return true;
    }
    return false;
  }
  void literal(const char* word) {
    const size_t n = std::strlen(word);
    if (t_.substr(p_, n) != word) error("invalid literal");
    p_ += n;
  }

  Value value(int depth) {
    if (depth > 512) error("nesting deeper than 512 levels");
    if (p_ >= t_.size()) error("unexpected end of input");
    const char c = t_[p_];
    switch (c) {
      case '{': return object(depth);
      case '[': return array(depth);
      case '"': return Value(string());
      case 't': literal("true"); return Value(true);
      case 'f': literal("false"); return Value(false);
      case 'n': literal("null"); return Value();
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return number();
        error(std::string("unexpected character '") + c + "'");
    }
  }

  Value object(int depth) {
    p_++;  // {
    Value v = Value::object();
    std::unordered_set<std::string> keys;
    ws();
    if (eat('}')) return v;
    for (;;) {
      ws();
      if (p_ >= t_.size() || t_[p_] != '"') error("expected a string key");
      const size_t key_at = p_;
      std::string key = string();
      if (!keys.insert(key).second) {  // a second value would be ignored by one reader and used by another
        p_ = key_at;
        size_t cut = std::min<size_t>(key.size(), 64);
        while (cut < key.size() && cut > 0 && (uint8_t(key[cut]) & 0xC0) == 0x80) --cut;  // whole characters
        error("duplicate key " + quote(key.substr(0, cut)) + (cut < key.size() ? " (cut)" : ""));
      }
      ws();
      if (!eat(':')) error("expected ':' after object key");
      ws();
      Value item = value(depth + 1);
      v.o_.emplace_back(std::move(key), std::move(item));
      ws();
      if (eat(',')) continue;
      if (eat('}')) return v;
      error("expected ',' or '}' in object");
    }
  }

  Value array(int depth) {
    p_++;  // [
    Value v = Value::array();
    ws();
    if (eat(']')) return v;
    for (;;) {
      ws();
      v.a_.push_back(value(depth + 1));
      ws();
      if (eat(',')) continue;
      if (eat(']')) return v;
      error("expected ',' or ']' in array");
    }
  }

  uint32_t hex4() {
    if (p_ + 4 > t_.size()) error("truncated \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
      const char c = t_[p_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= uint32_t(c - '0');
      else if (c >= 'a' && c <= 'f') v |= uint32_t(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= uint32_t(c - 'A' + 10);
      else error("invalid hex digit in \\u escape");
    }
    return v;
  }

  // Validates one UTF-8 sequence starting at p_ and appends it.
  void utf8(std::string& out) {
    const auto b0 = uint8_t(t_[p_]);
    int n;
    uint32_t cp;
    if (b0 < 0x80) { n = 1; cp = b0; }
    else if ((b0 & 0xE0) == 0xC0) { n = 2; cp = b0 & 0x1F; }
    else if ((b0 & 0xF0) == 0xE0) { n = 3; cp = b0 & 0x0F; }
    else if ((b0 & 0xF8) == 0xF0) { n = 4; cp = b0 & 0x07; }
    else error("invalid UTF-8 in string");
    if (p_ + size_t(n) > t_.size()) error("truncated UTF-8 sequence in string");
    for (int i = 1; i < n; i++) {
      const auto b = uint8_t(t_[p_ + size_t(i)]);
      if ((b & 0xC0) != 0x80) error("invalid UTF-8 in string");
      cp = (cp << 6) | (b & 0x3F);
    }
    static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) error("invalid UTF-8 in string");
    out.append(t_.data() + p_, size_t(n));
    p_ += size_t(n);
  }

  std::string string() {
    p_++;  // opening quote
    std::string out;
    for (;;) {
      // Fast path: copy a run of plain ASCII.
      size_t q = p_;
      while (q < t_.size()) {
        const auto c = uint8_t(t_[q]);
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
        q++;
      }
      out.append(t_.data() + p_, q - p_);
      p_ = q;
      if (p_ >= t_.size()) error("unterminated string");
      const auto c = uint8_t(t_[p_]);
      if (c == '"') {
        p_++;
        return out;
      }
      if (c < 0x20) error("control character in string");
      if (c >= 0x80) {
        utf8(out);
        continue;
      }
      p_++;  // backslash
      if (p_ >= t_.size()) error("unterminated string");
      const char e = t_[p_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          uint32_t cp = hex4();
          if (cp >= 0xDC00 && cp <= 0xDFFF) error("lone low surrogate in \\u escape");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (p_ + 2 > t_.size() || t_[p_] != '\\' || t_[p_ + 1] != 'u') error("lone high surrogate in \\u escape");
            p_ += 2;
            const uint32_t lo = hex4();
            if (lo < 0xDC00 || lo > 0xDFFF) error("invalid low surrogate in \\u escape");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          append_utf8(out, cp);
          break;
        }
        default: p_--; error(std::string("invalid escape '\\") + e + "'");
      }
    }
  }

  Value number() {
    const size_t start = p_;
    bool is_int = true;
    eat('-');
    if (eat('0')) {
      // a single leading zero
    } else if (p_ < t_.size() && t_[p_] >= '1' && t_[p_] <= '9') {
      while (p_ < t_.size() && std::isdigit(uint8_t(t_[p_]))) p_++;
    } else {
      error("invalid number");
    }
    if (eat('.')) {
      is_int = false;
      if (p_ >= t_.size() || !std::isdigit(uint8_t(t_[p_]))) error("digit expected after '.'");
      while (p_ < t_.size() && std::isdigit(uint8_t(t_[p_]))) p_++;
    }
    if (p_ < t_.size() && (t_[p_] == 'e' || t_[p_] == 'E')) {
      is_int = false;
      p_++;
      if (!eat('+')) eat('-');
      if (p_ >= t_.size() || !std::isdigit(uint8_t(t_[p_]))) error("digit expected in exponent");
      while (p_ < t_.size() && std::isdigit(uint8_t(t_[p_]))) p_++;
    }
    const std::string text(t_.substr(start, p_ - start));
    if (is_int) {
      int64_t i = 0;
      auto r = std::from_chars(text.data(), text.data() + text.size(), i);
      if (r.ec == std::errc() && r.ptr == text.data() + text.size()) return Value(i);
    }
    Value v(std::strtod(text.c_str(), nullptr));
    return v;
  }

  std::string_view t_;
  const std::string& name_;
  size_t p_ = 0;
};

Value parse(std::string_view text, const std::string& source_name) { return Parser(text, source_name).document(); }

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = uint8_t(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

namespace {
void dump_to(const Value& v, int indent, int level, std::string& out) {
  auto newline = [&](int lv) {
    if (indent < 0) return;
    out += '\n';
    out.append(size_t(indent * lv), ' ');
  };
  switch (v.kind()) {
    case Kind::Null: out += "null"; break;
    case Kind::Bool: out += v.boolean() ? "true" : "false"; break;
    case Kind::Number:
      if (v.is_integer_number()) {
        out += std::to_string(v.integer());
      } else if (!std::isfinite(v.number())) {
        out += "null";
      } else {
        // The shortest of 15, 16 or 17 significant digits that reads back as the same double ("38.2", not
        // "38.200000000000003").
        char buf[32];
        for (int digits = 15; digits <= 17; digits++) {
          std::snprintf(buf, sizeof buf, "%.*g", digits, v.number());
          if (std::strtod(buf, nullptr) == v.number()) break;
        }
        out += buf;
      }
      break;
    case Kind::String: out += quote(v.str()); break;
    case Kind::Array: {
      out += '[';
      bool first = true;
      for (const Value& x : v.arr()) {
        if (!first) out += ',';
        first = false;
        newline(level + 1);
        dump_to(x, indent, level + 1, out);
      }
      if (!v.arr().empty()) newline(level);
      out += ']';
      break;
    }
    case Kind::Object: {
      out += '{';
      bool first = true;
      for (const auto& [k, x] : v.obj()) {
        if (!first) out += ',';
        first = false;
        newline(level + 1);
        out += quote(k);
        out += indent < 0 ? ":" : ": ";
        dump_to(x, indent, level + 1, out);
      }
      if (!v.obj().empty()) newline(level);
      out += '}';
      break;
    }
  }
}
}  // namespace

std::string dump(const Value& v, int indent) {
  std::string out;
  dump_to(v, indent, 0, out);
  return out;
}

}  // namespace sotto::json
