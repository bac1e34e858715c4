// test-e2e-schema.cpp — end to end: a model sampled at temperature 1 under the SOAP template's JSON Schema
// (templates/soap.schema.json) must produce a complete, schema-valid document and stop by itself, on every
// fixture architecture and several seeds. The check below is written here, independently of the grammar
// code: it parses with the JSON parser and validates the template's constraints by hand.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "core/error.h"
#include "core/json.h"
#include "grammar/json-schema.h"
#include "grammar/matcher.h"
#include "grammar/tokenizer-vocab.h"
#include "runtime/generate.h"
#include "runtime/grammar-sampler.h"
#include "runtime/loaded-model.h"
#include "text/unicode.h"

using namespace sotto;

namespace {

std::string slurp(const std::string& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

size_t n_codepoints(const std::string& s) { return unicode::decode_utf8(s).size(); }

// The SOAP template's constraints, checked directly: every fact a string or null (not stated); the follow-up
// a date, the words as said (a letter, then letters, digits, spaces and , ' -; at most 60), or null.
std::string validate_soap(const json::Value& v) {
  if (!v.is_object()) return "not an object";
  const char* required[] = {"subjective", "objective", "assessment", "plan", "medications", "follow_up"};
  if (v.obj().size() != 6) return "expected exactly 6 properties, got " + std::to_string(v.obj().size());
  for (const char* k : required) {
    if (!v.find(k)) return std::string("missing ") + k;
  }
  const std::pair<const char*, size_t> strings[] = {{"subjective", 600}, {"objective", 600}, {"assessment", 400}, {"plan", 600}};
  for (const auto& [k, max] : strings) {
    if (v.at(k).is_null()) continue;
    if (!v.at(k).is_string()) return std::string(k) + " is not a string or null";
    if (n_codepoints(v.at(k).str()) > max) return std::string(k) + " too long";
  }
  const json::Value& meds = v.at("medications");
  if (!meds.is_array() || meds.arr().size() > 10) return "medications is not an array of at most 10";
  for (const json::Value& m : meds.arr()) {
    if (!m.is_object() || m.obj().size() != 3) return "medication is not an object of 3 properties";
    if (!m.find("name") || !m.at("name").is_string()) return "medication.name missing or not a string";
    for (const char* k : {"dose", "frequency"}) {
      if (!m.find(k) || !(m.at(k).is_string() || m.at(k).is_null())) {
        return std::string("medication.") + k + " missing or not a string or null";
      }
    }
  }
  const json::Value& fu = v.at("follow_up");
  if (fu.is_null()) return "";
  const bool date = fu.is_string() &&
                    std::regex_match(fu.str(), std::regex("[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"));
  const bool said = fu.is_string() && fu.str().size() <= 60 && std::regex_match(fu.str(), std::regex("[A-Za-z][A-Za-z0-9 ,'-]*"));
  if (!date && !said) return "follow_up is not a date, the words as said, or null";
  return "";
}

class SchemaE2E : public ::testing::TestWithParam<std::string> {};

TEST_P(SchemaE2E, SampledNotesAreAlwaysValid) {
  const std::string root = SOTTO_SOURCE_DIR;
  LoadedModel lm = load_model(root + "/tests/fixtures/models/" + GetParam() + ".gguf", 2, true);
  const std::string schema_path = root + "/templates/soap.schema.json";
  // The template as it is (a random model often takes null), and without null, so strings are sampled too.
  const std::string text = slurp(schema_path);
  std::string stated = std::regex_replace(text, std::regex(R"re("type": \[("\w+"), "null"\])re"), "\"type\": $1");
  stated = std::regex_replace(stated, std::regex(R"re(,\s*\{\s*"type":\s*"null"\s*\})re"), "");
  ASSERT_EQ(stated.find("null"), std::string::npos);
  const std::vector<int32_t> prompt = encode_prompt(*lm.tokenizer, "Write the note.", false, "");
  for (const std::string* schema : {&text, static_cast<const std::string*>(&stated)}) {
    auto cg = std::make_shared<grammar::CompiledGrammar>(grammar::compile_json_schema(*schema, schema_path),
                                                         grammar::make_token_trie(*lm.tokenizer));
    for (uint64_t seed : {1, 2, 3}) {
      SamplerParams sp;
      sp.temperature = 1.0f;
      sp.top_k = 0;
      sp.top_p = 1.0f;
      sp.min_p = 0.0f;
      sp.seed = seed;
      SamplerChain chain = make_chain(sp);
      chain.add_front(make_grammar_sampler(cg));
      KvCache cache = lm.model->new_cache(8192);
      GenerateParams gp;
      gp.max_tokens = -1;
      const GenerateResult r = generate(*lm.model, cache, *lm.tokenizer, chain, prompt, gp);
      ASSERT_EQ(r.stats.stop, StopReason::Eog) << GetParam() << " seed " << seed << ": " << r.text.substr(0, 200);
      // The template's keys and punctuation are forced: they are taken without sampling and share forward
      // passes with the sampled token before them.
      EXPECT_GT(r.stats.n_forced, 0);
      EXPECT_LE(r.stats.n_decode + r.stats.n_forced, r.stats.n_generated);
      json::Value doc;
      ASSERT_NO_THROW(doc = json::parse(r.text, "generated")) << r.text;
      EXPECT_EQ(validate_soap(doc), "") << GetParam() << " seed " << seed << ": " << r.text;
      if (schema == &stated) {
        EXPECT_TRUE(doc.at("subjective").is_string()) << r.text;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, SchemaE2E,
                         ::testing::Values("llama32-q8_0", "smollm2-q8_0", "qwen25-q4_0", "gemma3-q8_0"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

TEST(SchemaE2E, UnsupportedKeywordIsAnErrorNamingIt) {
  try {
    grammar::compile_json_schema(R"({"type":"array","uniqueItems":true})", "bad.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("uniqueItems"), std::string::npos) << e.what();
  }
}

}  // namespace
