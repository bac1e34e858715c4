// test-grammar-schema.cpp — JSON Schema -> grammar: must-accept / must-reject documents per feature,
// errors for unsupported keywords, forced prefixes, and the property test: random sampling under the token
// mask always ends in a document that core/json.h parses and that an independent validator (written here,
// sharing no code with the grammar) accepts.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <regex>

#include "core/error.h"

#include "core/json.h"
#include "grammar/json-schema.h"
#include "grammar/matcher.h"
#include "grammar/synthetic-vocab.h"

using namespace sotto::grammar;
using sotto::json::Kind;
using sotto::json::Value;

namespace {

// ---------------- independent validator (the JSON Schema subset the compiler claims) ----------------

size_t utf8_length(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += (uint8_t(c) & 0xC0) != 0x80;
  return n;
}

bool all_digits(const std::string& s, size_t b, size_t n) {
  if (b + n > s.size()) return false;
  for (size_t k = b; k < b + n; ++k) {
    if (s[k] < '0' || s[k] > '9') return false;
  }
  return true;
}

int num_at(const std::string& s, size_t b, size_t n) { return std::stoi(s.substr(b, n)); }

bool valid_date(const std::string& s) {
  if (s.size() != 10 || !all_digits(s, 0, 4) || s[4] != '-' || !all_digits(s, 5, 2) || s[7] != '-' ||
      !all_digits(s, 8, 2)) {
    return false;
  }
  int y = num_at(s, 0, 4), m = num_at(s, 5, 2), d = num_at(s, 8, 2);
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return false;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= days[m - 1] + (m == 2 && leap ? 1 : 0);
}

bool valid_time(const std::string& s) {
  if (s.size() < 9 || !all_digits(s, 0, 2) || s[2] != ':' || !all_digits(s, 3, 2) || s[5] != ':' ||
      !all_digits(s, 6, 2)) {
    return false;
  }
  if (num_at(s, 0, 2) > 23 || num_at(s, 3, 2) > 59 || num_at(s, 6, 2) > 60) return false;
  size_t i = 8;
  if (s[i] == '.') {
    size_t b = ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == b) return false;
  }
  std::string zone = s.substr(i);
  if (zone == "Z" || zone == "z") return true;
  return zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && all_digits(zone, 1, 2) && zone[3] == ':' &&
         all_digits(zone, 4, 2) && num_at(zone, 1, 2) <= 23 && num_at(zone, 4, 2) <= 59;
}

bool json_equal(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::Null: return true;
    case Kind::Bool: return a.boolean() == b.boolean();
    case Kind::Number: return a.number() == b.number();
    case Kind::String: return a.str() == b.str();
    case Kind::Array: {
      if (a.arr().size() != b.arr().size()) return false;
      for (size_t i = 0; i < a.arr().size(); ++i) {
        if (!json_equal(a.arr()[i], b.arr()[i])) return false;
      }
      return true;
    }
    case Kind::Object: {
      if (a.obj().size() != b.obj().size()) return false;
      for (const auto& [k, v] : a.obj()) {
        const Value* w = b.find(k);
        if (!w || !json_equal(v, *w)) return false;
      }
      return true;
    }
  }
  return false;
}

// Returns "" if valid, else a description of the first violation.
std::string validate(const Value& x, const Value& s, const Value& root, const std::string& at) {
  if (s.kind() == Kind::Bool) return s.boolean() ? "" : at + ": false schema";
  if (const Value* r = s.find("$ref")) {
    const Value* t = &root;
    std::string ref = r->str();
    size_t i = 1;
    while (i < ref.size()) {
      size_t j = ref.find('/', i + 1);
      std::string seg = ref.substr(i + 1, j == std::string::npos ? std::string::npos : j - i - 1);
      t = t->find(seg);
      if (!t) return at + ": bad ref";
      i = j == std::string::npos ? ref.size() : j;
    }
    return validate(x, *t, root, at);
  }
  if (const Value* c = s.find("const")) {
    if (!json_equal(x, *c)) return at + ": const mismatch";
  }
  if (const Value* e = s.find("enum")) {
    bool any = false;
    for (const Value& v : e->arr()) any = any || json_equal(x, v);
    if (!any) return at + ": not in enum";
  }
  if (const Value* a = s.find("anyOf")) {
    bool any = false;
    for (const Value& v : a->arr()) any = any || validate(x, v, root, at).empty();
    if (!any) return at + ": no anyOf branch";
  }
  if (const Value* a = s.find("oneOf")) {
    int n = 0;
    for (const Value& v : a->arr()) n += validate(x, v, root, at).empty();
    if (n != 1) return at + ": oneOf matched " + std::to_string(n);
  }
  if (const Value* a = s.find("allOf")) {
    for (const Value& v : a->arr()) {
      std::string e = validate(x, v, root, at);
      if (!e.empty()) return e;
    }
  }
  if (const Value* t = s.find("type")) {
    std::vector<std::string> types;
    if (t->kind() == Kind::String) {
      types.push_back(t->str());
    } else {
      for (const Value& v : t->arr()) types.push_back(v.str());
    }
    bool ok = false;
    for (const std::string& ty : types) {
      ok = ok || (ty == "null" && x.kind() == Kind::Null) || (ty == "boolean" && x.kind() == Kind::Bool) ||
           (ty == "string" && x.kind() == Kind::String) || (ty == "array" && x.kind() == Kind::Array) ||
           (ty == "object" && x.kind() == Kind::Object) || (ty == "number" && x.kind() == Kind::Number) ||
           (ty == "integer" && x.kind() == Kind::Number && std::floor(x.number()) == x.number());
    }
    if (!ok) return at + ": wrong type";
  }
  if (x.kind() == Kind::String) {
    const std::string& v = x.str();
    if (const Value* m = s.find("minLength"); m && utf8_length(v) < size_t(m->number())) return at + ": too short";
    if (const Value* m = s.find("maxLength"); m && utf8_length(v) > size_t(m->number())) return at + ": too long";
    if (const Value* p = s.find("pattern")) {
      if (!std::regex_search(v, std::regex(p->str(), std::regex::ECMAScript))) return at + ": pattern mismatch";
    }
    if (const Value* f = s.find("format")) {
      const std::string& fm = f->str();
      bool ok = fm == "date"   ? valid_date(v)
                : fm == "time" ? valid_time(v)
                : fm == "date-time" ? (v.size() > 11 && (v[10] == 'T' || v[10] == 't') && valid_date(v.substr(0, 10)) &&
                                       valid_time(v.substr(11)))
                : fm == "uuid" ? std::regex_match(v, std::regex("[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}"))
                               : false;
      if (!ok) return at + ": bad " + fm;
    }
  }
  if (x.kind() == Kind::Number) {
    double v = x.number();
    if (const Value* m = s.find("minimum"); m && v < m->number()) return at + ": below minimum";
    if (const Value* m = s.find("maximum"); m && v > m->number()) return at + ": above maximum";
    if (const Value* m = s.find("exclusiveMinimum"); m && v <= m->number()) return at + ": not above exclusiveMinimum";
    if (const Value* m = s.find("exclusiveMaximum"); m && v >= m->number()) return at + ": not below exclusiveMaximum";
    if (const Value* m = s.find("multipleOf"); m && std::fmod(v, m->number()) != 0) return at + ": not a multiple";
  }
  if (x.kind() == Kind::Array) {
    if (const Value* m = s.find("minItems"); m && x.arr().size() < size_t(m->number())) return at + ": too few items";
    if (const Value* m = s.find("maxItems"); m && x.arr().size() > size_t(m->number())) return at + ": too many items";
    if (const Value* it = s.find("items")) {
      for (size_t i = 0; i < x.arr().size(); ++i) {
        std::string e = validate(x.arr()[i], *it, root, at + "/" + std::to_string(i));
        if (!e.empty()) return e;
      }
    }
  }
  if (x.kind() == Kind::Object) {
    const Value* props = s.find("properties");
    if (const Value* r = s.find("required")) {
      for (const Value& k : r->arr()) {
        if (!x.find(k.str())) return at + ": missing " + k.str();
      }
    }
    const Value* addl = s.find("additionalProperties");
    for (const auto& [k, v] : x.obj()) {
      const Value* ps = props ? props->find(k) : nullptr;
      if (ps) {
        std::string e = validate(v, *ps, root, at + "/" + k);
        if (!e.empty()) return e;
      } else if (addl) {
        std::string e = validate(v, *addl, root, at + "/" + k);
        if (!e.empty()) return at + ": additional property " + k + " (" + e + ")";
      }
    }
  }
  return "";
}

// ---------------- helpers ----------------

std::string json_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (uint8_t(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", unsigned(uint8_t(c)));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// With SOTTO_GRAMMAR_DUMP=file set, the property test writes every generated document there as a JSON
// array of {"schema": text, "doc": text}, for tools/grammar/ajv-check.sh (a second, npm validator).
struct Dump {
  FILE* f = nullptr;
  bool first = true;
  Dump() {
    if (const char* p = std::getenv("SOTTO_GRAMMAR_DUMP")) {
      f = std::fopen(p, "w");
      if (f) std::fputs("[\n", f);
    }
  }
  ~Dump() {
    if (f) {
      std::fputs("\n]\n", f);
      std::fclose(f);
    }
  }
  void add(const std::string& schema, const std::string& doc) {
    if (!f) return;
    std::fprintf(f, "%s{\"schema\": %s, \"doc\": %s}", first ? "" : ",\n", json_quote(schema).c_str(),
                 json_quote(doc).c_str());
    first = false;
  }
};

std::shared_ptr<const TokenTrie> vocab_of(int32_t n) {
  auto sv = make_synthetic_vocab(n, 11);
  return std::make_shared<TokenTrie>(sv.pieces, sv.eog_ids);
}

std::shared_ptr<CompiledGrammar> compile(const std::string& schema, const std::shared_ptr<const TokenTrie>& v,
                                         bool compact = false) {
  SchemaOptions opt;
  opt.compact = compact;
  return std::make_shared<CompiledGrammar>(compile_json_schema(schema, "test.schema.json", opt), v);
}

bool full_match(CompiledGrammar& cg, const std::string& doc) {
  int32_t s = cg.advance(cg.initial_state(), doc);
  return s >= 0 && cg.can_end(s);
}

const char* kSoapSchema = R"({
  "type": "object",
  "properties": {
    "subjective": {"type": "string"},
    "objective": {"type": "string"},
    "assessment": {"type": "string"},
    "plan": {"type": "string"},
    "medications": {"type": "array", "items": {"type": "object", "properties": {
        "name": {"type": "string"}, "dose": {"type": "string"}, "frequency": {"type": "string"}},
        "required": ["name", "dose", "frequency"], "additionalProperties": false}},
    "follow_up": {"type": "string", "format": "date"}
  },
  "required": ["subjective", "objective", "assessment", "plan", "medications", "follow_up"],
  "additionalProperties": false
})";

const char* kNestedSchema = R"({
  "$defs": {
    "vital": {"type": "object", "properties": {
      "name": {"enum": ["bp", "hr", "temp", "spo2"]},
      "value": {"type": "number", "minimum": 0, "maximum": 300},
      "taken": {"type": "string", "format": "date-time"}}, "required": ["name", "value"], "additionalProperties": false},
    "problem": {"type": "object", "properties": {
      "code": {"type": "string", "pattern": "^[A-Z][0-9]{2}(\\.[0-9]{1,2})?$"},
      "label": {"type": "string", "minLength": 1, "maxLength": 12},
      "severity": {"type": "integer", "minimum": 1, "maximum": 5},
      "children": {"type": "array", "items": {"$ref": "#/$defs/problem"}, "maxItems": 2}},
      "required": ["code", "label"], "additionalProperties": false}
  },
  "type": "object",
  "properties": {
    "patient": {"type": "object", "properties": {
      "age": {"type": "integer", "minimum": 0, "maximum": 120},
      "sex": {"type": ["string", "null"], "enum": ["f", "m", "x", null]},
      "id": {"type": "string", "format": "uuid"}}, "required": ["age"], "additionalProperties": false},
    "vitals": {"type": "array", "items": {"$ref": "#/$defs/vital"}, "minItems": 1, "maxItems": 3},
    "problems": {"type": "array", "items": {"$ref": "#/$defs/problem"}},
    "flag": {"type": "boolean"},
    "note": {"oneOf": [{"type": "null"}, {"type": "string", "maxLength": 20}]},
    "offset": {"type": "integer", "exclusiveMinimum": -10, "exclusiveMaximum": 10},
    "visit": {"type": "string", "format": "time"},
    "kind": {"const": "clinic"},
    "extra": {"type": "object", "additionalProperties": {"type": "integer"}}
  },
  "required": ["patient", "vitals"],
  "additionalProperties": false
})";

// The features added for exact bounds: decimal and exclusive bounds on both sides of zero, multipleOf,
// pattern with a length range, a definition nobody references.
const char* kBoundsSchema = R"({
  "$defs": {"unused": {"type": "string", "pattern": "^z+$", "maxLength": 2},
            "dose": {"type": "number", "exclusiveMinimum": 0, "maximum": 12.5}},
  "type": "object",
  "properties": {
    "half": {"type": "number", "minimum": 0.5, "exclusiveMaximum": 1.25},
    "neg": {"type": "number", "minimum": -1.5, "exclusiveMaximum": -0.25},
    "near_zero": {"type": "number", "exclusiveMinimum": -0.1, "exclusiveMaximum": 0.1},
    "temp": {"type": "number", "minimum": 34.5, "maximum": 42},
    "big": {"type": "number", "exclusiveMinimum": 999999.5},
    "dose": {"$ref": "#/$defs/dose"},
    "steps": {"type": "integer", "exclusiveMinimum": -2.5, "maximum": 7.9},
    "sevens": {"type": "integer", "multipleOf": 7},
    "fives": {"type": "integer", "multipleOf": 5, "minimum": -12, "maximum": 40},
    "code": {"type": "string", "pattern": "^[A-Z][a-z0-9]*$", "minLength": 2, "maxLength": 5},
    "tag": {"type": "string", "pattern": "x[0-9]", "maxLength": 4},
    "word": {"type": "string", "pattern": "^(ab|c)*$", "minLength": 3, "maxLength": 6},
    "comment": {"type": "string", "pattern": "^[^<>]*$", "maxLength": 30},
    "mixed": {"type": "string", "pattern": "^[^<]{2}[^>]*$", "maxLength": 10}
  },
  "required": ["half", "neg", "near_zero", "temp", "big", "dose", "steps", "sevens", "fives", "code", "tag", "word",
               "comment", "mixed"],
  "additionalProperties": false
})";

const char* kBoundsDoc = "{\"half\": 0.5, \"neg\": -0.2500001, \"near_zero\": -0.09, \"temp\": 42.0, \"big\": 999999.6, "
                         "\"dose\": 12.5, \"steps\": -2, \"sevens\": -700, \"fives\": 40, \"code\": \"Ab3\", "
                         "\"tag\": \"ax1b\", \"word\": \"abcab\", \"comment\": \"no rash; é 中 {ok}\", "
                         "\"mixed\": \"a>b<c\"}";

struct SchemaCase {
  const char* schema;
  std::vector<std::string> accept;
  std::vector<std::string> reject;
};

}  // namespace

TEST(GrammarSchema, AcceptRejectTablesPerFeature) {
  auto v = vocab_of(1000);
  const std::vector<SchemaCase> cases = {
      {R"({"type": "string"})", {"\"\"", "\"a b\"", "\"\\n\\\"\\u00e9\"", "\"é中\""}, {"a", "\"a", "\"\n\"", "\"\\x\"", "\"\\ud800\""}},
      {R"({"type": "string", "minLength": 2, "maxLength": 3})", {"\"ab\"", "\"abc\"", "\"éé\"", "\"\\n\\t\""}, {"\"a\"", "\"abcd\""}},
      {R"({"type": "string", "enum": ["a", "b\"c"]})", {"\"a\"", "\"b\\\"c\""}, {"\"b\"", "\"c\""}},
      {R"({"const": {"a": [1, true, null]}})", {"{\"a\":[1,true,null]}"}, {"{\"a\":[1,true]}", "{}"}},
      {R"({"type": "string", "pattern": "^a+b?$"})", {"\"a\"", "\"aab\""}, {"\"b\"", "\"ab \"", "\"\""}},
      {R"({"type": "string", "pattern": "x[0-9]"})", {"\"x1\"", "\"..x9..\""}, {"\"x\"", "\"y1\""}},
      {R"({"type": "string", "pattern": "^[^a-z]$"})", {"\"A\"", "\"\\\"\"", "\"\\\\\"", "\"é\""}, {"\"a\"", "\"\\\"\\\"\""}},
      {R"({"type": "string", "format": "date"})", {"\"2024-02-28\"", "\"1999-12-31\""}, {"\"2024-02-30\"", "\"2024-13-01\"", "\"2024-1-01\""}},
      {R"({"type": "string", "format": "date-time"})", {"\"2024-05-01T13:45:00Z\"", "\"2024-05-01T13:45:00.123+02:00\""}, {"\"2024-05-01 13:45:00Z\"", "\"2024-05-01T24:00:00Z\""}},
      {R"({"type": "integer"})", {"0", "-7", "123456"}, {"01", "1.5", "-", "1e3", "+1"}},
      {R"({"type": "integer", "minimum": -12, "maximum": 105})", {"-12", "-1", "0", "9", "10", "99", "100", "105"}, {"-13", "106", "200", "-0"}},
      {R"({"type": "integer", "minimum": 37})", {"37", "99", "100", "123456"}, {"36", "0", "-5"}},
      {R"({"type": "integer", "exclusiveMaximum": -3})", {"-4", "-1000"}, {"-3", "0", "5"}},
      {R"({"type": "number"})", {"0", "-1.5", "2e10", "3.25E-2"}, {".5", "1.", "01", "1e"}},
      {R"({"type": "number", "minimum": -2, "maximum": 3})", {"-2", "-1.99", "0", "2.999", "3", "3.000"}, {"-2.5", "3.01", "4", "-3"}},
      {R"({"type": "boolean"})", {"true", "false"}, {"1", "True"}},
      {R"({"type": "null"})", {"null"}, {"nul", "0"}},
      {R"({"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 3})", {"[1]", "[1, 2,3]", "[ 1 ]"}, {"[]", "[1,2,3,4]", "[1,]", "[\"a\"]"}},
      {R"({"type": "array"})", {"[]", "[1, \"a\", {\"b\": null}]"}, {"[", "[1 2]"}},
      {R"({"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "string"}}, "required": ["b"], "additionalProperties": false})",
       {"{\"b\":\"x\"}", "{\"a\": 1, \"b\": \"x\"}", "{\n  \"a\": 1,\n  \"b\": \"\"\n}"}, {"{}", "{\"a\":1}", "{\"b\":\"x\",\"c\":1}", "{\"b\":\"x\",}"}},
      {R"({"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}})", {"{}", "{\"a\":1}", "{\"b\":2}", "{\"a\":1,\"b\":2}"}, {"{,\"b\":2}", "{\"a\":1,}"}},
      {R"({"type": "object", "additionalProperties": {"type": "boolean"}})", {"{}", "{\"x\": true, \"y\": false}"}, {"{\"x\": 1}"}},
      {R"({"anyOf": [{"type": "integer"}, {"type": "string", "maxLength": 1}]})", {"5", "\"a\""}, {"\"ab\"", "true"}},
      {R"({"type": ["integer", "null"]})", {"5", "null"}, {"\"5\""}},
      // Abstention in the note templates: a fact may be null ("not stated").
      {R"({"type": ["string", "null"], "maxLength": 3})", {"null", "\"abc\"", "\"\""}, {"\"abcd\"", "nul", "\"null", "Null"}},
      {R"({"type": ["string", "null"], "format": "date"})", {"null", "\"2026-12-06\""}, {"\"in two weeks\"", "\"2026-02-30\"", "\"null\""}},
      {R"({"type": ["string", "null"], "enum": ["growth", "not discussed", null]})", {"null", "\"growth\"", "\"not discussed\""}, {"\"null\"", "\"cautious\"", "\"\""}},
      {R"({"type": ["boolean", "null"]})", {"true", "false", "null"}, {"\"false\"", "0"}},
      {R"({"type": ["integer", "null"], "minimum": 0, "maximum": 1440})", {"0", "1440", "null"}, {"-1", "1441", "\"30\""}},
      {R"({"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9 ,'-]*$", "maxLength": 20}, {"type": "null"}]})",
       {"\"2026-12-20\"", "\"in two weeks\"", "\"next Tuesday\"", "null"}, {"\"2026-13-01\"", "\"\"", "\" in two weeks\"", "\"in twenty-two long weeks\"", "\"null"}},
      {R"({"$defs": {"n": {"type": "object", "properties": {"k": {"$ref": "#/$defs/n"}}, "additionalProperties": false}}, "$ref": "#/$defs/n"})",
       {"{}", "{\"k\":{}}", "{\"k\":{\"k\":{}}}"}, {"{\"k\":1}"}},
      {R"(true)", {"1", "{\"a\":[]}"}, {"{", "tru"}},
  };
  for (const SchemaCase& c : cases) {
    SCOPED_TRACE(c.schema);
    auto cg = compile(c.schema, v);
    for (const std::string& s : c.accept) EXPECT_TRUE(full_match(*cg, s)) << "should accept: " << s;
    for (const std::string& s : c.reject) EXPECT_FALSE(full_match(*cg, s)) << "should reject: " << s;
  }
}

// The product's note templates (templates/*.schema.json): every fact may be null, an old-style note (every
// value stated) still matches, and the follow-up / next review takes a date, the words as said, or null.
TEST(GrammarSchema, NoteTemplatesAcceptNullFacts) {
  auto v = vocab_of(1000);
  auto read = [](const std::string& name) {
    std::FILE* f = std::fopen((std::string(SOTTO_SOURCE_DIR) + "/templates/" + name + ".schema.json").c_str(), "rb");
    EXPECT_TRUE(f) << name;
    std::string s;
    char buf[4096];
    for (size_t n; f && (n = std::fread(buf, 1, sizeof buf, f)) > 0;) s.append(buf, n);
    if (f) std::fclose(f);
    return s;
  };
  const std::vector<std::pair<std::string, SchemaCase>> cases = {
      {"soap", {nullptr,
                {R"({"subjective": "cough for 3 days", "objective": "chest clear", "assessment": "viral illness", "plan": "rest", "medications": [{"name": "paracetamol", "dose": "1 g", "frequency": "four times daily"}], "follow_up": "2026-12-20"})",
                 R"({"subjective": null, "objective": null, "assessment": null, "plan": null, "medications": [], "follow_up": null})",
                 R"({"subjective": "cough", "objective": null, "assessment": "viral illness", "plan": null, "medications": [{"name": "paracetamol", "dose": null, "frequency": null}], "follow_up": "in two weeks"})"},
                {R"({"subjective": "cough", "objective": null, "assessment": null, "plan": null, "medications": [{"name": null, "dose": null, "frequency": null}], "follow_up": null})",
                 R"({"subjective": "cough", "objective": null, "assessment": null, "plan": null, "medications": [], "follow_up": "2026-02-30"})",
                 R"({"subjective": "cough", "objective": null, "assessment": null, "plan": null, "medications": null, "follow_up": null})",
                 R"({"subjective": "cough", "objective": null, "assessment": null, "plan": null, "medications": []})"}}},
      {"legal", {nullptr,
                 {R"({"client": null, "matter": "a will", "date": null, "attendees": [], "summary": null, "advice_given": null, "instructions": null, "next_steps": [], "time_spent_minutes": null})",
                  R"({"client": "Ann Lee", "matter": "a will", "date": "2026-12-06", "attendees": ["Ann Lee"], "summary": "meeting", "advice_given": "sign it", "instructions": "draft", "next_steps": ["draft the will"], "time_spent_minutes": 30})"},
                 {R"({"client": null, "matter": "a will", "date": "in two weeks", "attendees": [], "summary": null, "advice_given": null, "instructions": null, "next_steps": [], "time_spent_minutes": null})",
                  R"({"client": null, "matter": "a will", "date": null, "attendees": [null], "summary": null, "advice_given": null, "instructions": null, "next_steps": [], "time_spent_minutes": null})"}}},
      {"hr", {nullptr,
              {R"({"employee": "Tom Reid", "reported_by": null, "incident_date": null, "location": null, "category": null, "description": "a slip", "witnesses": [], "actions_taken": null, "follow_up_required": null})"},
              {R"({"employee": "Tom Reid", "reported_by": null, "incident_date": null, "location": null, "category": "null", "description": "a slip", "witnesses": [], "actions_taken": null, "follow_up_required": null})",
               R"({"employee": "Tom Reid", "reported_by": null, "incident_date": null, "location": null, "category": "theft", "description": "a slip", "witnesses": [], "actions_taken": null, "follow_up_required": null})"}}},
      {"finance", {nullptr,
                   {R"({"client": "Ann Lee", "meeting_date": "2026-12-06", "objectives": null, "risk_profile": null, "current_holdings": null, "recommendations": [], "fees_disclosed": null, "next_review": "in six months"})",
                    R"({"client": "Ann Lee", "meeting_date": null, "objectives": "retirement", "risk_profile": "not discussed", "current_holdings": null, "recommendations": [], "fees_disclosed": true, "next_review": "2027-06-06"})"},
                   {R"({"client": "Ann Lee", "meeting_date": null, "objectives": null, "risk_profile": null, "current_holdings": null, "recommendations": [], "fees_disclosed": "null", "next_review": null})",
                    R"({"client": "Ann Lee", "meeting_date": null, "objectives": null, "risk_profile": null, "current_holdings": null, "recommendations": [], "fees_disclosed": null, "next_review": "06/06/2027"})"}}},
  };
  for (const auto& [name, c] : cases) {
    SCOPED_TRACE(name);
    auto cg = compile(read(name), v);
    for (const std::string& s : c.accept) EXPECT_TRUE(full_match(*cg, s)) << "should accept: " << s;
    for (const std::string& s : c.reject) EXPECT_FALSE(full_match(*cg, s)) << "should reject: " << s;
  }
}

// Exact numeric ranges: fractional, exclusive, negative bounds, and multipleOf; the boundary values on both
// sides. Bounded numbers are written without an exponent and with at most 15 significant digits (so decimal
// and double comparisons agree): "5e-1" and 16-digit numbers are outside the generated language on purpose.
TEST(GrammarSchema, NumberBoundsAreExact) {
  auto v = vocab_of(1000);
  const std::vector<SchemaCase> cases = {
      {R"({"type": "number", "minimum": 0.5})", {"0.5", "0.50", "0.500000", "0.51", "1", "100.25", "999999999999999"},
       {"0.49", "0.4999999", "0", "-0.5", "5e-1", "0.5e0"}},
      {R"({"type": "number", "exclusiveMinimum": 0.5, "maximum": 2.25})", {"0.51", "0.500000000000001", "1", "2", "2.25", "2.250"},
       {"0.5", "0.50", "0.4", "2.251", "2.26", "3"}},
      {R"({"type": "number", "minimum": -1.5, "exclusiveMaximum": -0.25})", {"-1.5", "-1.50", "-1", "-0.26", "-0.2500001"},
       {"-1.51", "-2", "-0.25", "-0.250", "-0.2", "0", "1"}},
      {R"({"type": "number", "exclusiveMinimum": -0.1, "exclusiveMaximum": 0.1})", {"0", "0.0", "-0.09", "0.099", "-0.0999"},
       {"0.1", "-0.1", "0.10", "-0.100", "0.11", "-1", "1"}},
      {R"({"type": "number", "minimum": 0, "maximum": 0})", {"0", "0.0", "0.000"}, {"0.1", "-0.1", "1", "0.000000000000001"}},
      {R"({"type": "number", "exclusiveMinimum": 0})", {"0.000000000000001", "1", "12.5"}, {"0", "0.0", "-1", "-0.5"}},
      {R"({"type": "number", "minimum": -3, "exclusiveMaximum": 0})", {"-3", "-3.0", "-0.5", "-2.999", "-0.000000000000001"},
       {"0", "0.0", "-3.01", "-4", "0.5"}},
      {R"({"type": "number", "minimum": -100.75, "maximum": 0.001})", {"0.001", "0.0005", "0", "-50", "-100.75", "-100.7"},
       {"0.0011", "0.002", "1", "-100.76", "-101"}},
      {R"({"type": "number", "minimum": 34.5, "maximum": 42})", {"34.5", "35", "41.99", "42", "42.0"}, {"34.49", "42.01", "43", "3"}},
      {R"({"type": "number", "minimum": 0, "maximum": 1000000})", {"999999.999999999", "1000000", "0.123456789012345"},
       {"999999.9999999999", "0.1234567890123456", "1000000.1"}},
      {R"({"type": "number", "minimum": 1, "exclusiveMinimum": 1})", {"1.5", "1.00000000000001"}, {"1", "1.0", "1.000000000000001"}},
      {R"({"type": "number", "minimum": 1e-20})", {"0.000000000000001", "1", "0.5"}, {"0", "0.0", "-1"}},
      {R"({"type": "number", "minimum": -1e300, "maximum": 1e300})", {"-999999999999999", "5", "0.25", "1e5"}, {"1e", "true"}},
      {R"({"type": "integer", "minimum": 0.5, "exclusiveMaximum": 3.5})", {"1", "2", "3"}, {"0", "4", "0.5", "1.0"}},
      {R"({"type": "integer", "exclusiveMinimum": -2.5, "maximum": -0.5})", {"-2", "-1"}, {"-3", "0", "-0"}},
      {R"({"type": "integer", "exclusiveMinimum": 2, "exclusiveMaximum": 5})", {"3", "4"}, {"2", "5"}},
      {R"({"type": "integer", "multipleOf": 7})", {"0", "7", "-14", "98", "700", "999999999999994"}, {"1", "8", "-15", "13", "-0", "999999999999997"}},
      {R"({"type": "integer", "multipleOf": 5, "minimum": -12, "maximum": 12})", {"-10", "-5", "0", "5", "10"},
       {"-15", "15", "3", "12", "-12"}},
      {R"({"type": "integer", "multipleOf": 1})", {"0", "-3", "42"}, {"1.5"}},
  };
  for (const SchemaCase& c : cases) {
    SCOPED_TRACE(c.schema);
    auto cg = compile(c.schema, v);
    for (const std::string& s : c.accept) EXPECT_TRUE(full_match(*cg, s)) << "should accept: " << s;
    for (const std::string& s : c.reject) EXPECT_FALSE(full_match(*cg, s)) << "should reject: " << s;
  }
}

// `pattern` with minLength / maxLength: the intersection, lengths counted in characters (an escaped quote
// or a two-byte letter is one character).
TEST(GrammarSchema, PatternWithLengthIsExact) {
  auto v = vocab_of(1000);
  const std::vector<SchemaCase> cases = {
      {R"({"type": "string", "pattern": "^[a-z]+$", "minLength": 2, "maxLength": 4})", {"\"ab\"", "\"abc\"", "\"abcd\""},
       {"\"a\"", "\"abcde\"", "\"AB\"", "\"\""}},
      {R"({"type": "string", "pattern": "x[0-9]", "maxLength": 3})", {"\"x1\"", "\"ax1\"", "\"x1b\""},
       {"\"aax1\"", "\"x1bb\"", "\"x\"", "\"ab\""}},
      {R"({"type": "string", "pattern": "^(ab|c)*$", "minLength": 3})", {"\"abc\"", "\"cab\"", "\"ccc\"", "\"ababab\""},
       {"\"ab\"", "\"c\"", "\"\"", "\"abca\""}},
      {R"({"type": "string", "pattern": "^é\\d{2,}$", "maxLength": 3})", {"\"é12\""}, {"\"é123\"", "\"é1\""}},
      {R"({"type": "string", "pattern": "^[\"a]+$", "minLength": 2, "maxLength": 2})", {"\"\\\"a\"", "\"aa\""},
       {"\"a\"", "\"\\\"aa\""}},
      {R"({"type": "string", "pattern": "^a?b?$", "minLength": 1, "maxLength": 1})", {"\"a\"", "\"b\""}, {"\"\"", "\"ab\""}},
      {R"J({"type": "string", "pattern": "(x|yy)", "minLength": 2, "maxLength": 2})J", {"\"xa\"", "\"ax\"", "\"yy\"", "\"xx\""},
       {"\"x\"", "\"yyy\"", "\"ab\""}},
      {R"({"type": "string", "pattern": "^(a?)*b$", "minLength": 3, "maxLength": 3})", {"\"aab\""}, {"\"ab\"", "\"aaab\""}},
      {R"({"type": "string", "pattern": "^[A-Z]{2}[0-9]{0,8}$", "minLength": 4})", {"\"AB12\"", "\"XY12345678\""},
       {"\"AB1\"", "\"AB\"", "\"AB123456789\""}},
      {R"J({"type": "string", "pattern": "x(ab|c){2,50}y", "minLength": 20, "maxLength": 200})J",
       {"\"xababababababababababy\"", "\"..xcccccccccccccccccy\"", "\"x" + std::string(18, 'c') + "y\"",
        "\"" + std::string(170, 'z') + "xccy\""},
       {"\"xababy\"", "\"x" + std::string(17, 'c') + "y\"", "\"x" + std::string(51, 'c') + "y" + std::string(100, 'z') + "\"",
        "\"" + std::string(197, 'z') + "xccy\""}},
      // Escaped characters of a class: \" \\ \n \r \t and \u00XX (either case), each one character.
      {R"({"type": "string", "pattern": "^[^a]{1,2}$", "maxLength": 1})",
       {"\"\\u001F\"", "\"\\u001f\"", "\"\\u0001\"", "\"\\t\"", "\"\\\"\"", "\"\\\\\"", "\"b\""},
       {"\"a\"", "\"\\u00\"", "\"\\u0021\"", "\"\\t\\t\"", "\"bb\"", "\"\""}},
      {R"({"type": "string", "pattern": "^.{0,3}$", "minLength": 2})", {"\"\\t\\t\"", "\"ab\"", "\"中é\""},
       {"\"a\"", "\"abcd\"", "\"\\n\\t\""}},
  };
  for (const SchemaCase& c : cases) {
    SCOPED_TRACE(c.schema);
    auto cg = compile(c.schema, v);
    for (const std::string& s : c.accept) EXPECT_TRUE(full_match(*cg, s)) << "should accept: " << s;
    for (const std::string& s : c.reject) EXPECT_FALSE(full_match(*cg, s)) << "should reject: " << s;
  }
}

// Found by tests/fuzz/fuzz-regex: a pattern's characters must be Unicode scalar values. A \\u surrogate pair is
// one character (as in ECMAScript); a lone surrogate, and bytes that are not UTF-8 (only reachable through
// regex_to_gbnf directly: JSON text is UTF-8), are named errors of the pattern, never GBNF that does not parse.
TEST(GrammarSchema, PatternCharactersAreScalarValues) {
  auto v = vocab_of(1000);
  auto cg = compile(R"({"type": "string", "pattern": "^\\uD83D\\uDE00[\\uD83D\\uDE00-\\uD83D\\uDE4F]$"})", v);
  EXPECT_TRUE(full_match(*cg, "\"\xF0\x9F\x98\x80\xF0\x9F\x99\x8F\""));
  EXPECT_FALSE(full_match(*cg, "\"\xF0\x9F\x98\x80\xF0\x9F\x99\x90\""));
  for (const char* pat : {"\\\\uD800", "\\\\uDE00x", "\\\\uD83Dx", "[\\\\uD800-\\\\uDFFF]"}) {
    const std::string schema = std::string(R"({"type": "string", "pattern": ")") + pat + "\"}";
    try {
      compile_json_schema(schema, "s.json");
      ADD_FAILURE() << "no error for " << schema;
    } catch (const sotto::Error& e) {
      EXPECT_NE(std::string(e.what()).find("lone surrogate"), std::string::npos) << e.what();
    }
  }
  for (const char* bytes : {"\xF5\xDF", "a\xC3", "\xC3(", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80"}) {
    std::string rules;
    try {
      regex_to_gbnf(bytes, "#/pattern", "p", rules);
      ADD_FAILURE() << "no error for the bytes of " << testing::PrintToString(std::string(bytes));
    } catch (const sotto::Error& e) {
      EXPECT_NE(std::string(e.what()).find("invalid UTF-8"), std::string::npos) << e.what();
    }
  }
}

// Found by tests/fuzz/fuzz-regex (CI, session 9): a negated class ([^\ue000]) or a range across the surrogates
// ([a-\uffff]) used to write a GBNF range over U+D800-U+DFFF, which the grammar parser refuses; the class keeps the
// scalar values on either side.
TEST(GrammarSchema, ClassesSkipTheSurrogates) {
  auto v = vocab_of(1000);
  const std::vector<SchemaCase> cases = {
      {R"({"type": "string", "pattern": "^[^\\ue000V]*$"})",
       {"\"ab\"", "\"\xED\x9F\xBF\"", "\"\xEE\x80\x81\xF0\x9F\x98\x80\""}, {"\"V\"", "\"\xEE\x80\x80\""}},
      {R"({"type": "string", "pattern": "^[a-\\uffff]$", "maxLength": 3})",
       {"\"a\"", "\"\xED\x9F\xBF\"", "\"\xEE\x80\x80\""}, {"\"A\"", "\"\xF0\x9F\x98\x80\""}},
  };
  for (const SchemaCase& c : cases) {
    SCOPED_TRACE(c.schema);
    auto cg = compile(c.schema, v);
    for (const std::string& s : c.accept) EXPECT_TRUE(full_match(*cg, s)) << "should accept: " << s;
    for (const std::string& s : c.reject) EXPECT_FALSE(full_match(*cg, s)) << "should reject: " << s;
  }
}

// Found by tests/fuzz/fuzz-regex: a repeated group that can match the empty string ("(a?)*") used to become
// left-recursive GBNF, refused by the grammar parser; it repeats the group's non-empty strings instead.
TEST(GrammarSchema, RepeatedGroupsThatMatchEmpty) {
  auto v = vocab_of(1000);
  const std::vector<SchemaCase> cases = {
      {R"({"type": "string", "pattern": "^(a?)*b$"})", {"\"b\"", "\"ab\"", "\"aaab\""}, {"\"ba\"", "\"\"", "\"a\""}},
      {R"({"type": "string", "pattern": "^(a?b?)+c$"})", {"\"c\"", "\"abbac\"", "\"bc\""}, {"\"ca\"", "\"\""}},
      {R"({"type": "string", "pattern": "^(|x|(y?z?){2})*$"})", {"\"\"", "\"xyzzy\"", "\"zz\""}, {"\"w\""}},
      {R"({"type": "string", "pattern": "^()*(a{0})+d$"})", {"\"d\""}, {"\"ad\"", "\"\""}},
      {R"({"type": "string", "pattern": "^(a?)*b$", "minLength": 1})", {"\"b\"", "\"ab\""}, {"\"a\""}},
  };
  for (const SchemaCase& c : cases) {
    SCOPED_TRACE(c.schema);
    auto cg = compile(c.schema, v);
    for (const std::string& s : c.accept) EXPECT_TRUE(full_match(*cg, s)) << "should accept: " << s;
    for (const std::string& s : c.reject) EXPECT_FALSE(full_match(*cg, s)) << "should reject: " << s;
  }
}

TEST(GrammarSchema, UnsupportedKeywordsAreErrorsWithPath) {
  auto expect_error = [](const std::string& schema, const std::string& n1, const std::string& n2) {
    try {
      compile_json_schema(schema, "bad.schema.json");
      ADD_FAILURE() << "no error for " << schema;
    } catch (const sotto::Error& e) {
      std::string w = e.what();
      EXPECT_NE(w.find("bad.schema.json"), std::string::npos) << w;
      EXPECT_NE(w.find(n1), std::string::npos) << w;
      EXPECT_NE(w.find(n2), std::string::npos) << w;
    }
  };
  expect_error(R"({"type":"object","properties":{"meds":{"type":"array","uniqueItems":true}}})", "uniqueItems", "#/properties/meds");
  expect_error(R"({"type":"string","format":"email"})", "email", "#/format");
  expect_error(R"({"type":"number","multipleOf":2})", "multipleOf", "#");
  expect_error(R"({"type":"string","pattern":"(?=a)b"})", "lookaround", "#/pattern");
  expect_error(R"({"type":"string","pattern":"(a)\\1"})", "backreference", "#/pattern");
  expect_error(R"({"$ref":"#/$defs/missing"})", "does not resolve", "#");
  expect_error(R"({"type":"object","properties":{"a":{}},"required":["b"]})", "'b'", "#");
  expect_error(R"({"type":"integer","minimum":5,"maximum":1})", "minimum", "#");
  expect_error(R"({"allOf":[{"type":"string"},{"maxLength":3}]})", "allOf", "#/allOf");
  expect_error(R"({"type":"object","properties":{"a":{}},"additionalProperties":true})", "additionalProperties", "#");
  expect_error(R"({"type":"widget"})", "widget", "#");
  expect_error(R"({"type":"object","patternProperties":{}})", "patternProperties", "#");
  expect_error(R"({"$defs":{"a":{"$ref":"#/$defs/a"}},"$ref":"#/$defs/a"})", "left recursion", "ref-a");
  expect_error(R"({"type":"string",})", "bad.schema.json", "1:");  // not JSON: the parser's error
  // Type-specific keywords on another type would be ignored by a validator: named errors.
  expect_error(R"({"type":"string","minimum":1})", "'minimum'", "at #");
  expect_error(R"({"type":"object","properties":{"a":{"type":"integer","maxLength":2}}})", "'maxLength'", "#/properties/a");
  expect_error(R"({"properties":{"a":{}},"items":{}})", "'items'", "at #");
  expect_error(R"({"type":"number","format":"date"})", "'format'", "at #");
  expect_error(R"({"type":"string","enum":["a",1]})", "does not match", "#/enum");
  expect_error(R"({"type":"boolean","const":"yes"})", "does not match", "#/const");
  // Inside definitions, referenced or not, and nested ones.
  expect_error(R"({"$defs":{"unused":{"type":"string","contentEncoding":"base64"}},"type":"null"})", "contentEncoding", "#/$defs/unused");
  expect_error(R"({"type":"object","properties":{"a":{"$defs":{"d":{"not":{}}},"type":"null"}}})", "'not'", "#/properties/a/$defs/d");
  expect_error(R"({"definitions":{"d":{"type":"array","prefixItems":[]}},"$ref":"#/definitions/d"})", "prefixItems", "#/definitions/d");
  expect_error(R"({"anyOf":[{"type":"string"},{"type":"object","if":{}}]})", "'if'", "#/anyOf/1");
  expect_error(R"({"type":"array","items":{"type":"object","minProperties":1}})", "minProperties", "#/items");
  expect_error(R"({"type":"object","additionalProperties":{"type":"string","dependentRequired":{}}})", "dependentRequired", "#/additionalProperties");
  // Numbers: what is not supported is named, with the keyword.
  expect_error(R"({"type":"integer","multipleOf":3,"minimum":0})", "multipleOf", "one bound");
  expect_error(R"({"type":"integer","multipleOf":1000})", "multipleOf", "above 100");
  expect_error(R"({"type":"integer","multipleOf":1.5})", "multipleOf", "whole number");
  expect_error(R"({"type":"integer","multipleOf":1,"minimum":0,"maximum":5000})", "multipleOf", "1000 multiples");
  expect_error(R"({"type":"number","minimum":0.1234567890123456})", "15 significant digits", "#/minimum");
  expect_error(R"({"type":"number","exclusiveMinimum":1,"maximum":1})", "no number", "at #");
  expect_error(R"({"type":"number","minimum":1e16})", "15 integer digits", "#/minimum");
  expect_error(R"({"type":"integer","exclusiveMinimum":1,"exclusiveMaximum":2})", "no integer", "at #");
  expect_error(R"({"type":"number","minimum":true})", "minimum", "#");
  // A pattern whose strings all miss the length range.
  expect_error(R"({"type":"string","pattern":"^a{2}$","minLength":3})", "no string matches", "#/pattern");
  // A length range that would need a huge grammar is refused quickly, not built.
  expect_error(R"J({"type":"string","pattern":"(ab|c)+","minLength":1000,"maxLength":10000})J", "too large", "#/pattern");
}

TEST(GrammarSchema, CompactSoapForcesItsPrefix) {
  auto v = vocab_of(2000);
  auto cg = compile(kSoapSchema, v, /*compact=*/true);
  GrammarMatcher m(cg);
  EXPECT_EQ(m.forced_bytes(), "{\"subjective\":\"");
  std::vector<int32_t> f = m.forced_tokens();
  std::string joined;
  for (int32_t t : f) {
    joined += v->piece(t);
    ASSERT_TRUE(m.accept_token(t));
  }
  EXPECT_EQ(joined, "{\"subjective\":\"");
  ASSERT_TRUE(m.accept_bytes("pain\""));
  EXPECT_EQ(m.forced_bytes(), ",\"objective\":\"");
}

// Random sampling under the mask: every run must end (end-of-generation becomes the only choice) with a
// document that parses and validates.
TEST(GrammarSchema, RandomSamplingAlwaysValid) {
  auto v = vocab_of(20000);
  Dump dump;
  const std::vector<const char*> schemas = {kSoapSchema, kNestedSchema, kBoundsSchema};
  std::mt19937 rng(1234);
  for (const char* schema_text : schemas) {
    Value schema = sotto::json::parse(schema_text, "schema");
    for (bool compact : {false, true}) {
      auto cg = compile(schema_text, v, compact);
      for (int run = 0; run < 12; ++run) {
        GrammarMatcher m(cg);
        std::string doc;
        int steps = 0;
        std::vector<int32_t> allowed, closing;
        while (!m.is_finished()) {
          ASSERT_LT(++steps, 4000) << "generation did not end; doc so far: " << doc.substr(0, 300);
          const uint32_t* mk = m.mask();
          allowed.clear();
          closing.clear();
          for (int32_t id = 0; id < m.n_vocab(); ++id) {
            if (!((mk[id >> 5] >> (id & 31)) & 1)) continue;
            allowed.push_back(id);
            const std::string& p = v->piece(id);
            if (v->is_eog(id) || p.find_first_of("\"]}") != std::string::npos) closing.push_back(id);
          }
          ASSERT_FALSE(allowed.empty()) << "empty mask after: " << doc;
          const std::vector<int32_t>& pool = (!closing.empty() && rng() % 4 == 0) ? closing : allowed;
          int32_t t = pool[rng() % pool.size()];
          ASSERT_TRUE(m.accept_token(t));
          if (!v->is_eog(t)) doc += v->piece(t);
        }
        dump.add(schema_text, doc);
        Value parsed;
        ASSERT_NO_THROW(parsed = sotto::json::parse(doc, "generated")) << doc;
        EXPECT_EQ(validate(parsed, schema, schema, "#"), "") << doc;
      }
    }
  }
}

// Same on vocabularies of the real sizes (Qwen2.5 ~152k, Gemma 3 ~262k), fewer runs.
TEST(GrammarSchema, RandomSamplingLargeVocab) {
  struct Size {
    int32_t n_vocab;
    const char* schema_text;
  };
  std::mt19937 rng(99);
  for (Size sz : {Size{151936, kSoapSchema}, Size{262144, kNestedSchema}}) {
    auto v = vocab_of(sz.n_vocab);
    Value schema = sotto::json::parse(sz.schema_text, "schema");
    auto cg = compile(sz.schema_text, v);
    for (int run = 0; run < 2; ++run) {
      GrammarMatcher m(cg);
      std::string doc;
      std::vector<int32_t> allowed, closing;
      for (int steps = 0; !m.is_finished(); ++steps) {
        ASSERT_LT(steps, 4000);
        const uint32_t* mk = m.mask();
        allowed.clear();
        closing.clear();
        for (int32_t id = 0; id < m.n_vocab(); ++id) {
          if (!((mk[id >> 5] >> (id & 31)) & 1)) continue;
          allowed.push_back(id);
          if (v->is_eog(id) || v->piece(id).find_first_of("\"]}") != std::string::npos) closing.push_back(id);
        }
        ASSERT_FALSE(allowed.empty());
        const std::vector<int32_t>& pool = (!closing.empty() && rng() % 3 == 0) ? closing : allowed;
        int32_t t = pool[rng() % pool.size()];
        ASSERT_TRUE(m.accept_token(t));
        if (!v->is_eog(t)) doc += v->piece(t);
      }
      Value parsed = sotto::json::parse(doc, "generated");
      EXPECT_EQ(validate(parsed, schema, schema, "#"), "") << doc;
    }
  }
}

// The fast mask (trie walk with whole-subtree shortcuts) must equal a token-by-token check at every prefix
// of documents that exercise plain strings, counted strings, patterns, numbers, dates and nesting.
TEST(GrammarSchema, MaskEqualsPerTokenCheck) {
  auto v = vocab_of(6000);
  struct Doc {
    const char* schema;
    std::string text;
  };
  const std::vector<Doc> docs = {
      {kSoapSchema, "{\"subjective\": \"Cough é中 \\\"x\\\"\", \"objective\": \"\", \"assessment\": \"a\", \"plan\": \"b\", "
                    "\"medications\": [{\"name\": \"x\", \"dose\": \"1 g\", \"frequency\": \"bid\"}], \"follow_up\": \"2025-02-28\"}"},
      {kNestedSchema, "{\"patient\": {\"age\": 67, \"sex\": null}, \"vitals\": [{\"name\": \"bp\", \"value\": 299.5, "
                      "\"taken\": \"2025-03-11T09:30:00Z\"}], \"problems\": [{\"code\": \"N18.3\", \"label\": \"CKD é3\", "
                      "\"children\": [{\"code\": \"A00\", \"label\": \"x\"}]}], \"offset\": -9, \"kind\": \"clinic\"}"},
      {kBoundsSchema, kBoundsDoc},
  };
  for (const Doc& d : docs) {
    auto cg = compile(d.schema, v);
    GrammarMatcher m(cg);
    for (size_t k = 0; k <= d.text.size(); ++k) {
      const uint32_t* mk = m.mask();
      for (int32_t id = 0; id < m.n_vocab(); ++id) {
        bool in_mask = (mk[id >> 5] >> (id & 31)) & 1;
        ASSERT_EQ(in_mask, m.is_allowed(id)) << "prefix '" << d.text.substr(0, k) << "' token '" << v->piece(id) << "'";
      }
      if (k < d.text.size()) {
        ASSERT_TRUE(m.accept_bytes(d.text.substr(k, 1))) << d.text.substr(0, k + 1);
      }
    }
    EXPECT_TRUE(m.can_end());
  }
}


// oneOf is compiled only when its branches cannot both match one document; otherwise it is an error naming
// the path, never a silent anyOf.
TEST(JsonSchemaOneOf, ExactOrRejected) {
  const char* ok[] = {
      R"({"oneOf":[{"type":"string"},{"type":"integer"},{"type":"null"}]})",
      R"({"oneOf":[{"const":"a"},{"const":"b"}]})",
      R"({"oneOf":[{"type":"object","properties":{"kind":{"const":"dose"},"mg":{"type":"integer"}},"required":["kind","mg"],"additionalProperties":false},
                   {"type":"object","properties":{"kind":{"const":"note"},"text":{"type":"string"}},"required":["kind","text"],"additionalProperties":false}]})",
  };
  for (const char* s : ok) EXPECT_NO_THROW(sotto::grammar::compile_json_schema(s, "ok.json")) << s;
  const char* overlapping[] = {
      R"({"oneOf":[{"type":"number"},{"type":"integer"}]})",
      R"({"oneOf":[{"type":"string"},{"type":"string","maxLength":3}]})",
      R"({"properties":{"x":{"oneOf":[{"type":"object"},{"type":"object","properties":{"a":{"const":1}}}]}}})",
  };
  for (const char* s : overlapping) {
    try {
      sotto::grammar::compile_json_schema(s, "bad.json");
      ADD_FAILURE() << "accepted " << s;
    } catch (const sotto::Error& e) {
      EXPECT_NE(std::string(e.what()).find("oneOf"), std::string::npos) << e.what();
    }
  }
}

// The upload form for a device backend: the packed mask over a padded logits row equals the boolean
// per-token answer (is_allowed, which walks the automaton for that one token) bit for bit, with every
// padding id and unused bit zero. A vocabulary of 6001 tokens leaves a partial last word.
TEST(GrammarSchema, PackedMaskForUploadEqualsBooleanMask) {
  auto v = vocab_of(6001);
  ASSERT_EQ(v->n_vocab(), 6001);
  auto cg = compile(kBoundsSchema, v);
  GrammarMatcher m(cg);
  const std::string doc = kBoundsDoc;
  for (int32_t n_logits : {6001, 6016, 6080}) {
    m.reset();
    std::vector<uint32_t> packed(packed_mask_words(n_logits), 0xDEADBEEFu);
    for (size_t k = 0; k <= doc.size(); k += 3) {
      std::vector<bool> allowed(size_t(n_logits), false);  // the boolean mask
      for (int32_t id = 0; id < m.n_vocab(); ++id) allowed[size_t(id)] = m.is_allowed(id);
      pack_mask_for_logits(m.mask(), m.n_vocab(), n_logits, packed.data());
      for (int32_t id = 0; id < int32_t(packed.size() * 32); ++id) {
        const bool bit = (packed[size_t(id) >> 5] >> (id & 31)) & 1;
        const bool want = id < n_logits && allowed[size_t(id)];
        ASSERT_EQ(bit, want) << "n_logits " << n_logits << " prefix '" << doc.substr(0, k) << "' id " << id;
      }
      if (k < doc.size()) ASSERT_TRUE(m.accept_bytes(doc.substr(k, std::min<size_t>(3, doc.size() - k))));
    }
    EXPECT_TRUE(m.can_end());
  }
  std::vector<uint32_t> out(packed_mask_words(6001));
  EXPECT_THROW(pack_mask_for_logits(m.mask(), 6001, 6000, out.data()), sotto::Error);
}

// Hostile schemas (issue 15), generated here at the sizes that overflowed the stack or never finished.
TEST(GrammarSchema, DeepSchemasAreNamedErrors) {
  auto expect_error = [](const std::string& schema, const std::string& n1, const std::string& n2) {
    try {
      compile_json_schema(schema, "deep.schema.json");
      ADD_FAILURE() << "no error";
    } catch (const sotto::Error& e) {
      std::string w = e.what();
      EXPECT_NE(w.find("deep.schema.json"), std::string::npos) << w;
      EXPECT_NE(w.find(n1), std::string::npos) << w;
      EXPECT_NE(w.find(n2), std::string::npos) << w;
    }
  };
  // A flat $defs chain: d0 -> d1 -> ... -> d4700, every link a $ref (the JSON itself is shallow).
  auto chain = [](int n) {
    std::string s = "{\"$ref\":\"#/$defs/d0\",\"$defs\":{";
    for (int k = 0; k < n; ++k) s += "\"d" + std::to_string(k) + "\":{\"$ref\":\"#/$defs/d" + std::to_string(k + 1) + "\"},";
    return s + "\"d" + std::to_string(n) + "\":{\"type\":\"integer\"}}}";
  };
  expect_error(chain(4700), "nested deeper than 256 levels", "#/$defs/d");
  auto v = vocab_of(500);
  auto cg = compile(chain(100), v);
  EXPECT_TRUE(full_match(*cg, "42"));
  EXPECT_FALSE(full_match(*cg, "\"x\""));
  // A regex pattern with 30,000 nested groups.
  const std::string groups = std::string(30000, '(') + "a" + std::string(30000, ')');
  expect_error("{\"type\":\"string\",\"pattern\":\"^" + groups + "$\"}", "groups nested deeper than 64 levels",
               "#/pattern");
  const std::string ok_groups = std::string(size_t(64), '(') + "a|b" + std::string(size_t(64), ')');
  cg = compile("{\"type\":\"string\",\"pattern\":\"^" + ok_groups + "$\"}", v);
  EXPECT_TRUE(full_match(*cg, "\"a\""));
  EXPECT_FALSE(full_match(*cg, "\"ab\""));
  // Items nested past the limit (each level is one JSON level, under the parser's 512).
  std::string items;
  for (int k = 0; k < 300; ++k) items += "{\"type\":\"array\",\"items\":";
  items += "{\"type\":\"null\"}" + std::string(300, '}');
  expect_error(items, "nested deeper than 256 levels", "#/items/items");
}

// A repeated group that can match the empty string ("^(a*)*$", issue 15): the same language as without the
// empty repetitions, never a left-recursive grammar; with and without minLength/maxLength.
TEST(GrammarSchema, NullableRepeatedGroupsCompile) {
  auto v = vocab_of(500);
  const std::vector<SchemaCase> cases = {
      {R"({"type": "string", "pattern": "^(a*)*$"})", {"\"\"", "\"a\"", "\"aaaa\""}, {"\"b\"", "\"ab\""}},
      {R"({"type": "string", "pattern": "^(a*)+$"})", {"\"\"", "\"aaa\""}, {"\"ba\""}},
      {R"({"type": "string", "pattern": "^(a?b?)*$"})", {"\"\"", "\"abba\"", "\"bbb\"", "\"ab\""}, {"\"c\"", "\"abc\""}},
      {R"({"type": "string", "pattern": "^(a*|b)*c$"})", {"\"c\"", "\"abbac\""}, {"\"\"", "\"ab\""}},
      {R"({"type": "string", "pattern": "^((a*)*)*$"})", {"\"\"", "\"aa\""}, {"\"b\""}},
      {R"({"type": "string", "pattern": "^((a*){2})*b$"})", {"\"b\"", "\"aaab\""}, {"\"a\""}},
      {R"({"type": "string", "pattern": "^(a*){2,}$"})", {"\"\"", "\"a\"", "\"aaa\""}, {"\"b\""}},
      {R"({"type": "string", "pattern": "^(()*)*x$"})", {"\"x\""}, {"\"\"", "\"xx\""}},
      {R"({"type": "string", "pattern": "^(a*)*$", "maxLength": 3})", {"\"\"", "\"aaa\""}, {"\"aaaa\""}},
      {R"({"type": "string", "pattern": "^(a?b?)*$", "minLength": 2})", {"\"ab\"", "\"bba\""}, {"\"\"", "\"a\""}},
  };
  for (const SchemaCase& c : cases) {
    SCOPED_TRACE(c.schema);
    auto cg = compile(c.schema, v);
    for (const std::string& s : c.accept) EXPECT_TRUE(full_match(*cg, s)) << "should accept: " << s;
    for (const std::string& s : c.reject) EXPECT_FALSE(full_match(*cg, s)) << "should reject: " << s;
  }
}

TEST(GrammarSchema, TwentyThousandPropertiesCompileInLinearTime) {
  // Rule names were found by probing name-2, name-3, ... from 2 each time: ~n^2 probes (minutes at 20,000).
  const int n = 20000;
  std::string s = "{\"type\":\"object\",\"properties\":{";
  std::string req, doc = "{";
  for (int k = 0; k < n; ++k) {
    s += std::string(k ? "," : "") + "\"p" + std::to_string(k) + "\":{\"type\":\"integer\"}";
    if (k % 2 == 0) req += std::string(k ? "," : "") + "\"p" + std::to_string(k) + "\"";
    if (k % 2 == 0) doc += std::string(k ? "," : "") + "\"p" + std::to_string(k) + "\":" + std::to_string(k);
  }
  s += "},\"required\":[" + req + "]}";
  doc += "}";
  const auto t0 = std::chrono::steady_clock::now();
  Grammar g = compile_json_schema(s, "wide.schema.json");
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(secs, 30.0) << "20,000 properties took " << secs << " s";
  auto cg = std::make_shared<CompiledGrammar>(std::move(g), vocab_of(500));
  EXPECT_TRUE(full_match(*cg, doc));
  EXPECT_FALSE(full_match(*cg, "{}"));
}
