// fuzz-json-schema.cpp — libFuzzer target: the JSON Schema compiler (grammar/json-schema.h) on arbitrary
// text, in both whitespace modes (the first byte picks compact).
// Property: the GBNF the compiler writes is accepted by parse_gbnf, except for the two refusals that describe
// a recursive schema itself ($ref: it admits no finite document, or it refers to itself before consuming
// anything).
#include <string>

#include "core/error.h"
#include "core/json.h"
#include "fuzz.h"
#include "grammar/grammar.h"
#include "grammar/json-schema.h"

using namespace sotto;

namespace {

bool has_ref(const json::Value& v) {
  if (v.is_array()) {
    for (const json::Value& x : v.arr()) {
      if (has_ref(x)) return true;
    }
  } else if (v.is_object()) {
    for (const auto& [k, x] : v.obj()) {
      if (k == "$ref" || has_ref(x)) return true;
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  grammar::SchemaOptions opt;
  opt.compact = data[0] & 1;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string gbnf;
  json::Value schema;
  try {
    schema = json::parse(text, "fuzz.json");
    gbnf = grammar::json_schema_to_gbnf(schema, "fuzz.json", opt);
  } catch (const Error&) {
    return 0;
  }
  try {
    (void)grammar::parse_gbnf(gbnf, "fuzz.json (grammar)");
  } catch (const Error& e) {
    const std::string m = e.what();
    if (has_ref(schema) &&  // only $ref makes a rule refer back
        (m.find("left recursion") != std::string::npos || m.find("derives no finite string") != std::string::npos)) {
      return 0;
    }
    std::fprintf(stderr, "the compiler wrote GBNF that parse_gbnf refuses: %s\n--- grammar:\n%s\n", m.c_str(),
                 gbnf.c_str());
    FUZZ_CHECK(false);
  }
  return 0;
}
