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
                                          "minItems",  "maxItems"};

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
    std::string out = "root ::= " + root_expr + "\n";
    out += opt_.compact ? "ws ::= \"\"\n" : "ws ::= ( \" \" | \"\\n\" \" \"{0,20} )?\n";
    out += kBuiltins;
    for (const auto& [n, body] : rules_) out += n + " ::= " + body + "\n";
    return out;
  }

 private:
  const Value& root_;
  std::string name_;
  SchemaOptions opt_;
  std::vector<std::pair<std::string, std::string>> rules_;
  std::unordered_map<std::string, std::string> by_body_;
  std::unordered_map<std::string, std::string> refs_;
  std::set<std::string> used_;
  int n_obj_ = 0;

  [[noreturn]] void error(const std::string& path, const std::string& msg) const {
    fail(name_, ": ", msg, " at ", path);
  }

  std::string reserve(const std::string& hint) {
    std::string base = sanitize(hint), n = base;
    for (int k = 2; used_.count(n); ++k) n = base + "-" + std::to_string(k);
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

  std::string visit(const Value& s, const std::string& path) {
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
    if (const Value* r = s.find("$ref")) {
      only_with("$ref");
      if (!is_string(*r)) error(path, "'$ref' must be a string");
      const std::string ref = r->str();
      auto it = refs_.find(ref);
      if (it != refs_.end()) return it->second;
      std::string n = reserve("ref-" + ref.substr(ref.rfind('/') + 1));
      refs_[ref] = n;
      std::string body = visit(resolve(ref, path + "/$ref"), ref);
      rules_.push_back({n, body});
      return n;
    }
    if (const Value* c = s.find("const")) {
      only_with("const");
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
    if (pat) {
      if (has_len) error(path, "'pattern' combined with minLength/maxLength is not supported");
      if (!is_string(*pat)) error(path, "'pattern' must be a string");
      std::string unused;
      return rule("pattern", "\"\\\"\" " + regex_to_gbnf(pat->str(), name_ + " " + path + "/pattern", "", unused) +
                                 " \"\\\"\"");
    }
    if (!has_len) return "json-string";
    int lo = s.find("minLength") ? get_count(s, "minLength", path) : 0;
    int hi = s.find("maxLength") ? get_count(s, "maxLength", path) : -1;
    if (hi >= 0 && hi < lo) error(path, "maxLength < minLength");
    std::string rep = "{" + std::to_string(lo) + "," + (hi >= 0 ? std::to_string(hi) : "") + "}";
    return rule("string-len", "\"\\\"\" json-char" + rep + " \"\\\"\"");
  }

  std::string visit_number(bool integer, const Value& s, const std::string& path) {
    bool has_lo = false, has_hi = false;
    double lo = 0, hi = 0;
    auto bound = [&](const char* key, bool exclusive, bool lower) {
      const Value* v = s.find(key);
      if (!v) return;
      if (is_bool(*v)) error(path + "/" + key, "boolean exclusive bounds (draft 4) are not supported");
      double d = get_number(s, key, path);
      if (!integer && exclusive) error(path + "/" + key, "exclusive bounds on 'number' are not supported");
      if (!integer && d != std::floor(d)) error(path + "/" + key, "fractional bounds on 'number' are not supported");
      if (integer) d = lower ? (exclusive ? std::floor(d) + 1 : std::ceil(d)) : (exclusive ? std::ceil(d) - 1 : std::floor(d));
      if (lower) {
        lo = has_lo ? std::max(lo, d) : d;
        has_lo = true;
      } else {
        hi = has_hi ? std::min(hi, d) : d;
        has_hi = true;
      }
    };
    bound("minimum", false, true);
    bound("exclusiveMinimum", true, true);
    bound("maximum", false, false);
    bound("exclusiveMaximum", true, false);
    if (!has_lo && !has_hi) return integer ? "json-integer" : "json-number";
    if (has_lo && has_hi && lo > hi) error(path, "minimum is above maximum");
    auto clamp = [](double d) { return (long long)std::max(-1e17, std::min(1e17, d)); };
    try {
      if (integer) {
        std::string unused;
        return rule("integer-range", integer_range_gbnf(has_lo, clamp(lo), has_hi, clamp(hi), "", unused));
      }
      return rule("number-range", number_range_gbnf(has_lo, clamp(lo), has_hi, clamp(hi)));
    } catch (const Error& e) {
      error(path, e.what());
    }
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
    std::set<std::string> required;
    if (const Value* r = s.find("required")) {
      if (!is_array(*r)) error(path, "'required' must be an array");
      for (const Value& x : r->arr()) {
        if (!is_string(x)) error(path, "'required' entries must be strings");
        if (!props || !props->find(x.str())) error(path, "required property '" + x.str() + "' is not in 'properties'");
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
