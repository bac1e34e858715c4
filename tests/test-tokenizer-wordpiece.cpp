// test-tokenizer-wordpiece.cpp — BERT WordPiece (text/wordpiece.h, tokenizer.ggml.model "bert") against the Python
// reference of tools/ref/bert_ref.py (Hugging Face's BertNormalizer + BertPreTokenizer + WordPiece, written from their
// definition) through tools/ref/make_bert_fixtures.py: an uncased and a cased vocabulary in llama.cpp's "phantom
// space" spelling, each with ~230 hostile texts (control and format characters, NUL, U+FFFD, accents and combining
// marks, Turkish dotted I, final sigma, CJK, emoji and ZWJ, unassigned and private-use code points, words of 99/100/101
// characters, empty and whitespace-only text, special-token text, seeded random strings) encoded with [CLS] ... [SEP]:
// every id must be equal. Also: the model fixtures' texts, special tokens parsed only when asked, invalid UTF-8
// dropped, cased/uncased told from the vocabulary, and one-line errors for a vocabulary without [UNK].
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/gguf.h"
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
