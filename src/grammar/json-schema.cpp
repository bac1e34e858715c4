// json-schema.cpp — JSON Schema (parsed by core/json.h) -> GBNF text (see json-schema.h for the subset).
// One rule per schema node that needs a name (objects, arrays, refs, strings with constraints), identical
// bodies share a rule. Errors name the schema file, the keyword and the JSON-pointer path.
#include "grammar/json-schema.h"

#include <cmath>
#include <cstdio>
#include <set>
#include <unordered_map>
#include <vector>

#include "core/error.h"

#include "core/json.h"

namespace sotto::grammar {

namespace {

using json::Value;

// ---- kind tests (short names for the checks below)
bool is_object(const Value& v) { return v.kind() == json::Kind::Object; }
bool is_array(const Value& v) { return v.kind() == json::Kind::Array; }
bool is_string(const Value& v) { return v.kind() == json::Kind::String; }
bool is_number(const Value& v) { return v.kind() == json::Kind::Number; }
bool is_bool(const Value& v) { return v.kind() == json::Kind::Bool; }

const std::set<std::string> kAnnotations = {"title",    "description", "default",   "examples",
                                            "$schema",  "$id",         "$comment",  "readOnly",
                                            "writeOnly", "deprecated", "$defs",     "definitions"};
const std::set<std::string> kSupported = {"type",      "const",    "enum",       "anyOf",     "oneOf",
                                          "allOf",     "$ref",     "properties", "required",  "additionalProperties",
                                          "minLength", "maxLength", "pattern",   "format",    "minimum",
                                          "maximum",   "exclusiveMinimum", "exclusiveMaximum", "items",
                                          "minItems",  "maxItems", "multipleOf"};

// oneOf is exact only when no document can match two branches. Recognised cases: every branch has a
// single 'type' and no two types overlap (integer lies inside number); every branch is a 'const' with
// distinct values; or every branch requires one common property whose 'const' values differ.
bool one_of_disjoint(const json::Value& branches) {
  const auto& b = branches.arr();
  auto type_of = [](const json::Value& x) -> std::string {
    const json::Value* t = x.is_object() ? x.find("type") : nullptr;
    return t && t->is_string() ? t->str() : "";
  };
  bool types = true;
  std::set<std::string> seen;
  for (const auto& x : b) {
    std::string t = type_of(x);
    if (t == "integer") t = "number";
    if (t.empty() || !seen.insert(t).second) types = false;
  }
  if (types) return true;
  auto const_of = [](const json::Value& x) -> const json::Value* { return x.is_object() ? x.find("const") : nullptr; };
  bool consts = true;
  std::set<std::string> values;
  for (const auto& x : b) {
    const json::Value* c = const_of(x);
    if (!c || !values.insert(json::dump(*c)).second) consts = false;
  }
  if (consts) return true;
  // A discriminator: a property required by every branch, with a distinct const in each.
  if (b.empty() || !b[0].is_object() || !b[0].find("properties") || !b[0].at("properties").is_object()) return false;
  for (const auto& [name, prop] : b[0].at("properties").obj()) {
    std::set<std::string> tags;
    bool ok = true;
    for (const auto& x : b) {
      const json::Value* props = x.is_object() ? x.find("properties") : nullptr;
      const json::Value* p = props && props->is_object() ? props->find(name) : nullptr;
      const json::Value* c = p ? const_of(*p) : nullptr;
      const json::Value* req = x.is_object() ? x.find("required") : nullptr;
      bool required = false;
      if (req && req->is_array()) {
        for (const auto& r : req->arr()) required = required || (r.is_string() && r.str() == name);
      }
      if (!c || !required || !tags.insert(json::dump(*c)).second) ok = false;
    }
    if (ok) return true;
  }
  return false;
}

std::string gbnf_literal(const std::string& bytes) {
  std::string out = "\"";
  for (char c : bytes) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (uint8_t(c) < 0x20) {
          static const char* hex = "0123456789abcdef";
          out += "\\x";
          out += hex[uint8_t(c) >> 4];
          out += hex[uint8_t(c) & 15];
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

void serialize(const Value& v, std::string& out) { out += json::dump(v); }

std::string sanitize(const std::string& s) {
  std::string out;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    out += ok ? c : '-';
    if (out.size() >= 40) break;
  }
  return out.empty() ? "x" : out;
}

const char* kBuiltins =
    "json-char ::= [^\"\\\\\\x00-\\x1f] | \"\\\\\" ( [\"\\\\/bfnrt] | \"u\" ( [0-9a-cA-Ce-fE-F] [0-9a-fA-F]{3} | "
    "[dD] [0-7] [0-9a-fA-F]{2} ) )\n"
    "json-string ::= \"\\\"\" json-char* \"\\\"\"\n"
    "json-integer ::= \"-\"? ( \"0\" | [1-9] [0-9]{0,14} )\n"
    "json-number ::= json-integer ( \".\" [0-9]{1,15} )? ( [eE] [-+]? [0-9]{1,2} )?\n"
    "json-boolean ::= \"true\" | \"false\"\n"
    "json-null ::= \"null\"\n"
    "json-value ::= json-object | json-array | json-string | json-number | json-boolean | json-null\n"
    "json-object ::= \"{\" ws ( json-string ws \":\" ws json-value ( ws \",\" ws json-string ws \":\" ws json-value )* )? "
    "ws \"}\"\n"
    "json-array ::= \"[\" ws ( json-value ( ws \",\" ws json-value )* )? ws \"]\"\n"
    "date ::= [0-9]{4} \"-\" ( ( \"0\" [13578] | \"1\" [02] ) \"-\" ( \"0\" [1-9] | [12] [0-9] | \"3\" [01] ) | "
    "( \"0\" [469] | \"11\" ) \"-\" ( \"0\" [1-9] | [12] [0-9] | \"30\" ) | \"02-\" ( \"0\" [1-9] | \"1\" [0-9] | "
    "\"2\" [0-8] ) )\n"
    "time ::= ( [01] [0-9] | \"2\" [0-3] ) \":\" [0-5] [0-9] \":\" [0-5] [0-9] ( \".\" [0-9]{1,6} )? ( \"Z\" | "
    "[+-] ( [01] [0-9] | \"2\" [0-3] ) \":\" [0-5] [0-9] )\n"
    "uuid ::= [0-9a-fA-F]{8} \"-\" [0-9a-fA-F]{4} \"-\" [0-9a-fA-F]{4} \"-\" [0-9a-fA-F]{4} \"-\" "
    "[0-9a-fA-F]{12}\n";

class SchemaConv {
 public:
  SchemaConv(const Value& root, const std::string& name, const SchemaOptions& opt)
      : root_(root), name_(name), opt_(opt) {
    for (const char* n : {"root", "ws", "json-char", "json-string", "json-integer", "json-number", "json-boolean",
                          "json-null", "json-value", "json-object", "json-array", "date", "time", "uuid"}) {
      used_.insert(n);
    }
  }

  std::string run() {
    std::string root_expr = visit(root_, "#");
    visit_all_defs(root_, "#");
    std::string out = "root ::= " + root_expr + "\n";
    out += opt_.compact ? "ws ::= \"\"\n" : "ws ::= ( \" \" | \"\\n\" \" \"{0,20} )?\n";
    out += kBuiltins;
    for (const auto& [n, body] : rules_) out += n + " ::= " + body + "\n";
    return out + pattern_rules_;
  }

 private:
  const Value& root_;
  std::string name_;
  SchemaOptions opt_;
  std::vector<std::pair<std::string, std::string>> rules_;
  std::string pattern_rules_;  // "name ::= body" lines from patterns intersected with a length range
  std::unordered_map<std::string, std::string> by_body_;
  std::unordered_map<std::string, std::string> refs_;
  std::set<std::string> used_;
  int n_obj_ = 0;
  std::set<long long> mult_done_;
  std::unordered_map<std::string, int> next_suffix_;  // reserve(): the next "-k" to try per base name
  int depth_ = 0;                                      // visit() nesting, $ref chains included

  [[noreturn]] void error(const std::string& path, const std::string& msg) const {
    fail(name_, ": ", msg, " at ", path);
  }

  // A fresh rule name from a hint: the hint itself, else hint-2, hint-3, ... Each base remembers where its
  // probing stopped, so n rules from one hint cost O(n) probes, not O(n^2).
  std::string reserve(const std::string& hint) {
    std::string base = sanitize(hint), n = base;
    if (used_.count(n)) {
      int& k = next_suffix_.try_emplace(base, 2).first->second;
      do {
        n = base + "-" + std::to_string(k++);
      } while (used_.count(n));
    }
    used_.insert(n);
    return n;
  }

  std::string rule(const std::string& hint, const std::string& body) {
    auto it = by_body_.find(body);
    if (it != by_body_.end()) return it->second;
    std::string n = reserve(hint);
    rules_.push_back({n, body});
    by_body_[body] = n;
    return n;
  }

  double get_number(const Value& s, const char* key, const std::string& path) const {
    const Value* v = s.find(key);
    if (!is_number(*v)) error(path, std::string("'") + key + "' must be a number");
    return v->number();
  }

  int get_count(const Value& s, const char* key, const std::string& path) const {
    double d = get_number(s, key, path);
    if (d < 0 || d != std::floor(d) || d > 10000) error(path, std::string("'") + key + "' must be an integer in [0, 10000]");
    return int(d);
  }

  const Value& resolve(const std::string& ref, const std::string& path) const {
    if (ref.empty() || ref[0] != '#') error(path, "only local $ref (starting with '#') is supported, got '" + ref + "'");
    const Value* cur = &root_;
    size_t i = 1;
    while (i < ref.size()) {
      if (ref[i] != '/') error(path, "malformed $ref '" + ref + "'");
      size_t j = ref.find('/', i + 1);
      std::string seg = ref.substr(i + 1, j == std::string::npos ? std::string::npos : j - i - 1);
      std::string key;
      for (size_t k = 0; k < seg.size(); ++k) {
        if (seg[k] == '~' && k + 1 < seg.size() && (seg[k + 1] == '0' || seg[k + 1] == '1')) {
          key += seg[k + 1] == '0' ? '~' : '/';
          ++k;
        } else {
          key += seg[k];
        }
      }
      if (!is_object(*cur) || !cur->find(key)) error(path, "$ref '" + ref + "' does not resolve");
      cur = cur->find(key);
      i = j == std::string::npos ? ref.size() : j;
    }
    return *cur;
  }

  std::string ref_rule(const std::string& ref, const std::string& path) {
    auto it = refs_.find(ref);
    if (it != refs_.end()) return it->second;
    std::string n = reserve("ref-" + ref.substr(ref.rfind('/') + 1));
    refs_[ref] = n;
    std::string body = visit(resolve(ref, path), ref);
    rules_.push_back({n, body});
    return n;
  }

  static std::string pointer_escape(const std::string& k) {
    std::string out;
    for (char c : k) out += c == '~' ? std::string("~0") : c == '/' ? std::string("~1") : std::string(1, c);
    return out;
  }

  // Compiles every $defs / definitions entry at every schema position, referenced or not, so an
  // unsupported keyword inside an unused definition is still an error.
  void visit_all_defs(const Value& s, const std::string& ptr) {
    if (!is_object(s)) return;
    for (const char* defs : {"$defs", "definitions"}) {
      const Value* d = s.find(defs);
      if (!d) continue;
      if (!is_object(*d)) error(ptr, std::string("'") + defs + "' must be an object");
      for (const auto& [k, v] : d->obj()) {
        const std::string at = ptr + "/" + defs + "/" + pointer_escape(k);
        ref_rule(at, at);
        visit_all_defs(v, at);
      }
    }
    for (const char* one : {"items", "additionalProperties"}) {
      if (const Value* x = s.find(one)) visit_all_defs(*x, ptr + "/" + one);
    }
    for (const char* many : {"anyOf", "oneOf", "allOf"}) {
      const Value* a = s.find(many);
      if (!a || !is_array(*a)) continue;
      for (size_t k = 0; k < a->arr().size(); ++k) visit_all_defs(a->arr()[k], ptr + "/" + many + "/" + std::to_string(k));
    }
    if (const Value* p = s.find("properties"); p && is_object(*p)) {
      for (const auto& [k, v] : p->obj()) visit_all_defs(v, ptr + "/properties/" + pointer_escape(k));
    }
  }

  // The JSON types a schema admits, from 'type' or implied by its keywords; empty when unconstrained.
  std::set<std::string> types_of(const Value& s) const {
    std::set<std::string> out;
    if (const Value* t = s.find("type")) {
      if (is_string(*t)) out.insert(t->str());
      if (is_array(*t)) {
        for (const Value& x : t->arr()) {
          if (is_string(x)) out.insert(x.str());
        }
      }
    } else if (s.find("properties") || s.find("additionalProperties")) {
      out.insert("object");
    } else if (s.find("items")) {
      out.insert("array");
    }
    return out;
  }

  // A type-specific keyword on a schema whose types do not include that type would be ignored by a
  // validator: an error here, never silent.
  void check_applies(const Value& s, const std::string& path) const {
    static const std::vector<std::pair<std::string, std::string>> kFor = {
        {"minLength", "string"},  {"maxLength", "string"},        {"pattern", "string"},
        {"format", "string"},     {"minimum", "number"},          {"maximum", "number"},
        {"exclusiveMinimum", "number"}, {"exclusiveMaximum", "number"}, {"multipleOf", "number"},
        {"items", "array"},       {"minItems", "array"},          {"maxItems", "array"},
        {"properties", "object"}, {"required", "object"},         {"additionalProperties", "object"}};
    std::set<std::string> types = types_of(s);
    if (types.empty()) return;
    if (types.count("integer")) types.insert("number");
    for (const auto& [k, t] : kFor) {
      if (s.find(k) && !types.count(t)) {
        error(path, "keyword '" + k + "' does not apply to type '" + *types_of(s).begin() + "' (it would be ignored)");
      }
    }
  }

  // A const or enum value must have one of the schema's declared types.
  void check_value_type(const Value& s, const Value& x, const std::string& path) const {
    const Value* t = s.find("type");
    if (!t) return;
    std::set<std::string> types = types_of(s);
    bool ok = false;
    for (const std::string& ty : types) {
      ok = ok || (ty == "null" && x.kind() == json::Kind::Null) || (ty == "boolean" && is_bool(x)) ||
           (ty == "string" && is_string(x)) || (ty == "number" && is_number(x)) ||
           (ty == "integer" && is_number(x) && x.number() == std::floor(x.number())) ||
           (ty == "array" && is_array(x)) || (ty == "object" && is_object(x));
    }
    if (!ok) error(path, "value " + json::dump(x) + " does not match 'type'");
  }

  std::string visit(const Value& s, const std::string& path) {
    struct Depth {  // the recursion below follows the schema and its $ref chains: bounded
      int& d;
      ~Depth() { --d; }
    } depth{++depth_};
    if (depth_ > kMaxSchemaDepth) {
      error(path, "schema nested deeper than " + std::to_string(kMaxSchemaDepth) + " levels (counting each $ref)");
    }
    if (is_bool(s)) {
      if (!s.boolean()) error(path, "schema 'false' matches nothing");
      return "json-value";
    }
    if (!is_object(s)) error(path, "schema must be an object or a boolean");
    for (const auto& [k, v] : s.obj()) {
      if (!kAnnotations.count(k) && !kSupported.count(k)) error(path, "unsupported keyword '" + k + "'");
    }
    auto only_with = [&](const char* key) {  // `type` may restate what a const/enum implies
      for (const auto& [k, v] : s.obj()) {
        bool type_ok = k == "type" && std::string(key) == "const";
        if (k != key && !type_ok && !kAnnotations.count(k)) {
          error(path, std::string("keyword '") + k + "' beside '" + key + "' is not supported");
        }
      }
    };
    check_applies(s, path);
    if (const Value* r = s.find("$ref")) {
      only_with("$ref");
      if (!is_string(*r)) error(path, "'$ref' must be a string");
      return ref_rule(r->str(), path + "/$ref");
    }
    if (const Value* c = s.find("const")) {
      only_with("const");
      check_value_type(s, *c, path + "/const");
      std::string text;
      serialize(*c, text);
      return gbnf_literal(text);
    }
    if (const Value* e = s.find("enum")) {
      if (!is_array(*e) || e->arr().empty()) error(path, "'enum' must be a non-empty array");
      for (const auto& [k, v] : s.obj()) {
        if (k != "enum" && k != "type" && !kAnnotations.count(k)) error(path, "keyword '" + k + "' beside 'enum' is not supported");
      }
      std::string alts;
      for (const Value& x : e->arr()) {
        check_value_type(s, x, path + "/enum");
        std::string text;
        serialize(x, text);
        alts += (alts.empty() ? "" : " | ") + gbnf_literal(text);
      }
      return rule("enum", alts);
    }
    for (const char* comb : {"anyOf", "oneOf", "allOf"}) {
      const Value* a = s.find(comb);
      if (!a) continue;
      only_with(comb);
      if (!is_array(*a) || a->arr().empty()) error(path, std::string("'") + comb + "' must be a non-empty array");
      if (std::string(comb) == "allOf") {
        if (a->arr().size() != 1) error(path + "/allOf", "allOf with more than one schema is not supported");
        return visit(a->arr()[0], path + "/allOf/0");
      }
      if (std::string(comb) == "oneOf" && !one_of_disjoint(*a)) {
        error(path + "/oneOf",
              "branches may overlap, and a grammar cannot exclude documents matching two of them: give each branch "
              "a distinct 'type' or 'const', or a required property with distinct 'const' values (or use anyOf)");
      }
      std::string alts;
      size_t k = 0;
      for (const Value& x : a->arr()) {
        alts += (alts.empty() ? "" : " | ") + visit(x, path + "/" + comb + "/" + std::to_string(k++));
      }
      return rule(comb, alts);
    }
    const Value* t = s.find("type");
    if (!t) {
      if (s.find("properties") || s.find("additionalProperties")) return visit_type("object", s, path);
      if (s.find("items")) return visit_type("array", s, path);
      for (const auto& [k, v] : s.obj()) {
        if (!kAnnotations.count(k)) error(path, "keyword '" + k + "' needs a 'type'");
      }
      return "json-value";
    }
    if (is_string(*t)) return visit_type(t->str(), s, path);
    if (!is_array(*t) || t->arr().empty()) error(path, "'type' must be a string or a non-empty array");
    std::string alts;
    for (const Value& x : t->arr()) {
      if (!is_string(x)) error(path, "'type' entries must be strings");
      alts += (alts.empty() ? "" : " | ") + visit_type(x.str(), s, path);
    }
    return rule("types", alts);
  }

  std::string visit_type(const std::string& type, const Value& s, const std::string& path) {
    if (type == "null") return "json-null";
    if (type == "boolean") return "json-boolean";
    if (type == "string") return visit_string(s, path);
    if (type == "integer" || type == "number") return visit_number(type == "integer", s, path);
    if (type == "array") return visit_array(s, path);
    if (type == "object") return visit_object(s, path);
    error(path, "unknown type '" + type + "'");
  }

  std::string visit_string(const Value& s, const std::string& path) {
    const Value* fmt = s.find("format");
    const Value* pat = s.find("pattern");
    const bool has_len = s.find("minLength") || s.find("maxLength");
    if (fmt) {
      if (pat || has_len) error(path, "'format' combined with 'pattern' or a length is not supported");
      if (!is_string(*fmt)) error(path, "'format' must be a string");
      const std::string f = fmt->str();
      if (f == "date" || f == "time" || f == "uuid") return rule("string-" + f, "\"\\\"\" " + f + " \"\\\"\"");
      if (f == "date-time") return rule("string-date-time", "\"\\\"\" date \"T\" time \"\\\"\"");
      error(path + "/format", "unsupported format '" + f + "'");
    }
    int lo = s.find("minLength") ? get_count(s, "minLength", path) : 0;
    int hi = s.find("maxLength") ? get_count(s, "maxLength", path) : -1;
    if (hi >= 0 && hi < lo) error(path, "maxLength < minLength");
    if (pat) {
      if (!is_string(*pat)) error(path, "'pattern' must be a string");
      std::string where = name_ + " " + path + "/pattern";
      std::string body = regex_to_gbnf(pat->str(), where, reserve("pat"), pattern_rules_, lo, hi);
      return rule("pattern", "\"\\\"\" " + body + " \"\\\"\"");
    }
    if (!has_len) return "json-string";
    std::string rep = "{" + std::to_string(lo) + "," + (hi >= 0 ? std::to_string(hi) : "") + "}";
    return rule("string-len", "\"\\\"\" json-char" + rep + " \"\\\"\"");
  }

  std::string visit_number(bool integer, const Value& s, const std::string& path) {
    // The tightest lower and upper bound (value, exclusive); at equal values the exclusive one wins.
    struct B {
      bool set = false;
      double v = 0;
      bool ex = false;
      const char* key = "";
    } lo, hi;
    auto bound = [&](const char* key, bool exclusive, bool lower) {
      const Value* v = s.find(key);
      if (!v) return;
      if (is_bool(*v)) error(path + "/" + key, "boolean exclusive bounds (draft 4) are not supported");
      double d = get_number(s, key, path);
      B& b = lower ? lo : hi;
      bool tighter = !b.set || (lower ? d > b.v : d < b.v) || (d == b.v && exclusive);
      if (tighter) b = {true, d, exclusive, key};
    };
    bound("minimum", false, true);
    bound("exclusiveMinimum", true, true);
    bound("maximum", false, false);
    bound("exclusiveMaximum", true, false);
    if (lo.set && hi.set && (lo.v > hi.v || (lo.v == hi.v && (lo.ex || hi.ex)))) {
      error(path, "minimum is above maximum: no number lies in the range");
    }
    if (integer) {
      if (const Value* m = s.find("multipleOf")) return visit_multiple_of(*m, lo.set, lo.v, lo.ex, hi.set, hi.v, hi.ex, path);
      if (!lo.set && !hi.set) return "json-integer";
      // Integer bounds: the smallest / largest integer inside each bound.
      double l = lo.ex ? std::floor(lo.v) + 1 : std::ceil(lo.v);
      double h = hi.ex ? std::ceil(hi.v) - 1 : std::floor(hi.v);
      if (lo.set && hi.set && l > h) error(path, "no integer lies between the bounds");
      auto clamp = [](double d) { return (long long)std::max(-1e17, std::min(1e17, d)); };
      try {
        std::string unused;
        return rule("integer-range", integer_range_gbnf(lo.set, clamp(l), hi.set, clamp(h), "", unused));
      } catch (const Error& e) {
        error(path, e.what());
      }
    }
    if (s.find("multipleOf")) error(path + "/multipleOf", "'multipleOf' is supported on 'integer' only");
    // Bounded numbers have at most 15 integer digits (|x| < 1e15): a bound beyond that on its own side
    // excludes nothing they can be.
    if (lo.set && lo.v < -1e15) lo.set = false;
    if (hi.set && hi.v > 1e15) hi.set = false;
    if (!lo.set && !hi.set) return "json-number";
    DecimalBound l, h;
    for (B* b : {&lo, &hi}) {
      if (!b->set) continue;
      try {
        DecimalBound& dst = b == &lo ? l : h;  // (assigning a braced list through ?: is rejected by g++ 13)
        dst.text = plain_decimal(b->v);
        dst.exclusive = b->ex;
      } catch (const Error& e) {
        error(path + "/" + b->key, e.what());
      }
    }
    try {
      return rule("number-range", number_range_gbnf(lo.set ? &l : nullptr, hi.set ? &h : nullptr));
    } catch (const Error& e) {
      error(path, e.what());
    }
  }

  // Integers that are multiples of k >= 1: all of them (a remainder automaton over the digits, k <= 100),
  // or, with both bounds, the multiples in range listed (at most 1000 of them). Other combinations are a
  // named error.
  std::string visit_multiple_of(const Value& m, bool has_lo, double lo, bool lo_ex, bool has_hi, double hi,
                                bool hi_ex, const std::string& path) {
    const std::string at = path + "/multipleOf";
    if (!is_number(m) || m.number() < 1 || m.number() != std::floor(m.number()) || m.number() > 1e9) {
      error(at, "'multipleOf' on 'integer' must be a whole number in [1, 1e9]");
    }
    const long long k = (long long)m.number();
    if (has_lo && has_hi) {
      const double l = lo_ex ? std::floor(lo) + 1 : std::ceil(lo), h = hi_ex ? std::ceil(hi) - 1 : std::floor(hi);
      if (std::fabs(l) > 1e15 || std::fabs(h) > 1e15) error(at, "bounds beside 'multipleOf' must be below 1e15");
      long long first = (long long)std::ceil(l / double(k)), last = (long long)std::floor(h / double(k));
      if (first > last) error(at, "no multiple of " + std::to_string(k) + " lies between the bounds");
      if (last - first >= 1000) error(at, "more than 1000 multiples between the bounds: not supported");
      std::string alts;
      for (long long q = first; q <= last; ++q) alts += (alts.empty() ? "" : " | ") + gbnf_literal(std::to_string(q * k));
      return rule("multiple", alts);
    }
    if (has_lo || has_hi) error(at, "'multipleOf' with only one bound is not supported (give both, or neither)");
    if (k > 100) error(at, "'multipleOf' above 100 without bounds is not supported");
    if (k == 1) return "json-integer";
    // States r = value so far mod k; digits are capped at 15 like json-integer: rule mod-k-r-n has at most
    // n more digits to read.
    const std::string base = "mult" + std::to_string(k);
    auto name = [&](long long r, int n) { return base + "-" + std::to_string(r) + "-" + std::to_string(n); };
    const bool first_time = mult_done_.insert(k).second;  // the rules of one k are shared
    std::vector<std::vector<bool>> live(15, std::vector<bool>(size_t(k), false));  // [n][r]: can reach 0
    for (int n = 0; n <= 14; ++n) {
      for (long long r = 0; r < k; ++r) {
        bool ok = r == 0;
        for (int d = 0; d <= 9 && !ok && n > 0; ++d) ok = live[size_t(n - 1)][size_t((r * 10 + d) % k)];
        live[size_t(n)][size_t(r)] = ok;
        if (!ok) continue;
        std::string body = r == 0 ? "\"\"" : "";
        for (int d = 0; d <= 9 && n > 0; ++d) {
          const long long t = (r * 10 + d) % k;
          if (!live[size_t(n - 1)][size_t(t)]) continue;
          body += (body.empty() ? "" : " | ") + std::string("\"") + char('0' + d) + "\" " + name(t, n - 1);
        }
        if (first_time) rules_.push_back({name(r, n), body});
      }
    }
    std::string pos;
    for (int d = 1; d <= 9; ++d) {
      if (live[14][size_t(d % k)]) pos += " | \"" + std::string(1, char('0' + d)) + "\" " + name(d % k, 14);
    }
    return rule(base, "\"0\" | \"-\"? ( " + pos.substr(3) + " )");
  }

  std::string visit_array(const Value& s, const std::string& path) {
    std::string item = "json-value";
    if (const Value* it = s.find("items")) {
      if (is_array(*it)) error(path + "/items", "tuple 'items' (an array) is not supported");
      item = visit(*it, path + "/items");
    }
    int lo = s.find("minItems") ? get_count(s, "minItems", path) : 0;
    int hi = s.find("maxItems") ? get_count(s, "maxItems", path) : -1;
    if (hi >= 0 && hi < lo) error(path, "maxItems < minItems");
    std::string body;
    if (hi == 0) {
      body = "\"[\" ws \"]\"";
    } else {
      std::string more = "( ws \",\" ws " + item + " )";
      std::string rep = "{" + std::to_string(lo > 0 ? lo - 1 : 0) + "," + (hi > 0 ? std::to_string(hi - 1) : "") + "}";
      std::string list = item + " " + more + rep;
      body = "\"[\" ws " + (lo > 0 ? list : "( " + list + " )?") + " ws \"]\"";
    }
    return rule("array", body);
  }

  std::string visit_object(const Value& s, const std::string& path) {
    const Value* props = s.find("properties");
    const Value* addl = s.find("additionalProperties");
    if (props && !is_object(*props)) error(path, "'properties' must be an object");
    std::set<std::string> required, declared;  // (a set: Value::find is a linear scan)
    if (props) {
      for (const auto& [k, v] : props->obj()) declared.insert(k);
    }
    if (const Value* r = s.find("required")) {
      if (!is_array(*r)) error(path, "'required' must be an array");
      for (const Value& x : r->arr()) {
        if (!is_string(x)) error(path, "'required' entries must be strings");
        if (!declared.count(x.str())) error(path, "required property '" + x.str() + "' is not in 'properties'");
        required.insert(x.str());
      }
    }
    const bool free_form = addl && !(is_bool(*addl) && !addl->boolean());
    if (free_form) {
      if (props && !props->obj().empty()) {
        error(path + "/additionalProperties", "additionalProperties other than false beside 'properties' is not supported");
      }
      std::string value = visit(*addl, path + "/additionalProperties");
      std::string kv = "json-string ws \":\" ws " + value;
      return rule("map", "\"{\" ws ( " + kv + " ( ws \",\" ws " + kv + " )* )? ws \"}\"");
    }
    struct Prop {
      std::string kv;
      bool req;
    };
    std::vector<Prop> list;
    if (props) {
      for (const auto& [k, v] : props->obj()) {
        std::string key;
        key = json::quote(k);
        std::string value = visit(v, path + "/properties/" + k);
        list.push_back({rule("kv-" + k, gbnf_literal(key) + " ws \":\" ws " + value), required.count(k) > 0});
      }
    }
    // head(k): properties k.. with none emitted yet; tail(k): at least one emitted (each prefixed by a comma).
    // head(k) is needed only where every property before k is optional.
    const std::string base = "obj" + (n_obj_++ ? std::to_string(n_obj_) : std::string());
    const size_t n = list.size();
    std::vector<bool> need_head(n + 1, false);
    need_head[0] = true;
    for (size_t k = 0; k < n; ++k) need_head[k + 1] = need_head[k] && !list[k].req;
    std::vector<std::string> tail(n + 1), head(n + 1);
    for (size_t k = n; k-- > 0;) {
      const std::string& nt = tail[k + 1];
      const std::string& nh = head[k + 1];
      std::string after = nt.empty() ? "" : " " + nt;
      if (k > 0) {
        std::string t = "ws \",\" ws " + list[k].kv + after;
        if (!list[k].req) t = "( " + t + (nt.empty() ? " )?" : " | " + nt + " )");
        tail[k] = rule(base + "-tail", t);
      }
      if (!need_head[k]) continue;
      std::string h = list[k].kv + after;
      if (!list[k].req) h = "( " + h + (nh.empty() ? " )?" : " | " + nh + " )");
      head[k] = rule(base + "-head", h);
    }
    std::string body = "\"{\" ws " + (head.empty() || head[0].empty() ? std::string() : head[0] + " ") + "ws \"}\"";
    return rule(base, body);
  }
};

}  // namespace

std::string json_schema_to_gbnf(const json::Value& schema, const std::string& name, const SchemaOptions& opt) {
  return SchemaConv(schema, name, opt).run();
}

Grammar compile_json_schema(std::string_view schema_text, const std::string& name, const SchemaOptions& opt) {
  json::Value v = json::parse(schema_text, name);
  std::string gbnf = json_schema_to_gbnf(v, name, opt);
  return parse_gbnf(gbnf, name + " (grammar)");
}

}  // namespace sotto::grammar
