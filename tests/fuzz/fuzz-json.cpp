// fuzz-json.cpp — libFuzzer target: the JSON parser and writer (core/json.h) on arbitrary text.
// Properties: what parse() accepts, dump() writes as JSON that parse() accepts again, and writing is then
// stable: dump(parse(dump(v))) == dump(v), compact and indented alike.
#include <string>

#include "core/error.h"
#include "core/json.h"
#include "fuzz.h"

using namespace sotto;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  json::Value v;
  try {
    v = json::parse(text, "fuzz.json");
  } catch (const Error&) {
    return 0;
  }
  const std::string compact = json::dump(v);
  const std::string pretty = json::dump(v, 2);
  json::Value again, again_pretty;
  try {
    again = json::parse(compact, "dump");
    again_pretty = json::parse(pretty, "dump");
  } catch (const Error& e) {
    std::fprintf(stderr, "dump() wrote what parse() refuses: %s\n", e.what());
    FUZZ_CHECK(false);
  }
  FUZZ_CHECK(json::dump(again) == json::dump(again_pretty));
  const std::string twice = json::dump(again);
  FUZZ_CHECK(json::dump(json::parse(twice, "dump")) == twice);
  return 0;
}
