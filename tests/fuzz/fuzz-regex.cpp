// fuzz-regex.cpp — libFuzzer target: the `pattern` translator (grammar::regex_to_gbnf, regex-to-gbnf.cpp) on
// arbitrary patterns, with length bounds taken from the first two bytes (minLength 0..7, maxLength none or
// 0..14), as json-schema.cpp calls it.
// Property: the GBNF it writes is accepted by parse_gbnf (a pattern it cannot translate is a sotto::Error
// from regex_to_gbnf itself, never a grammar that does not parse).
#include <string>

#include "core/error.h"
#include "core/json.h"
#include "fuzz.h"
#include "grammar/grammar.h"
#include "grammar/json-schema.h"

using namespace sotto;

namespace {

// The shared rules a translated pattern refers to (json-char, ...): the compiler's output for a plain string
// schema, less its root rule.
const std::string& builtin_rules() {
  static const std::string rules = [] {
    const std::string all = grammar::json_schema_to_gbnf(json::parse("{\"type\": \"string\"}"), "string.json");
    return all.substr(all.find('\n') + 1);
  }();
  return rules;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const int min_len = data[0] & 7;
  const int max_len = (data[1] & 15) == 15 ? -1 : std::max(min_len, data[1] & 15);
  const std::string_view pattern(reinterpret_cast<const char*>(data + 2), size - 2);
  std::string rules, body;
  try {
    body = grammar::regex_to_gbnf(pattern, "#/pattern", "p", rules, min_len, max_len);
  } catch (const Error&) {
    return 0;
  }
  const std::string gbnf = "root ::= \"\\\"\" " + body + " \"\\\"\"\n" + builtin_rules() + rules;
  try {
    (void)grammar::parse_gbnf(gbnf, "pattern.gbnf");
  } catch (const Error& e) {
    std::fprintf(stderr, "regex_to_gbnf wrote GBNF that parse_gbnf refuses: %s\n--- grammar:\n%s\n", e.what(),
                 gbnf.c_str());
    FUZZ_CHECK(false);
  }
  return 0;
}
