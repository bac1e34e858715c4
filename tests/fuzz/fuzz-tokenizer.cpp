// fuzz-tokenizer.cpp — libFuzzer target: tokenizer encoding (text/tokenizer.h, bpe.cpp, pretokenize.cpp,
// unicode.cpp) of arbitrary text. Tokenizers: the four fixture models' vocabularies (Llama 3, Qwen2.5 with
// NFC, SmolLM2, Gemma 3 SentencePiece; tests/fixtures/models) and two built here with real merges (byte-level
// BPE by rank, with special and user-defined tokens; SentencePiece by score with byte fallback). The first byte
// picks the tokenizer and whether special tokens are parsed; the rest is the text.
// Properties: every id is in the vocabulary; decode(encode(text)) gives the text back, exactly for the
// byte-level tokenizers (NFC-normalised for Qwen2.5) and with U+2581 read as a space for SentencePiece (not for
// the Gemma fixture, whose vocabulary lacks U+2581: its spaces come back as the bytes of U+2581).
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/gguf.h"
#include "fuzz.h"
#include "text/bpe.h"
#include "text/tokenizer.h"
#include "text/unicode.h"

using namespace sotto;

namespace {

enum class RoundTrip { exact, nfc, spm, none };

struct Entry {
  std::unique_ptr<Tokenizer> tok;
  RoundTrip rt;
};

std::unique_ptr<Tokenizer> load(const std::string& path) {
  auto f = GgufFile::open(path);
  return Tokenizer::from_gguf(*f);
}

std::unique_ptr<Tokenizer> written(const GgufWriter& w, const char* name) {
  const std::string path = "/tmp/sotto-fuzz-" + std::to_string(getpid()) + "-" + name + ".gguf";
  w.write(path);
  auto tok = load(path);
  unlink(path.c_str());
  return tok;
}

const char* const kWords[] = {" the", " patient", "ing", " and", "ed", " of", "123", "\n\n", "    ", "\xc3\xa9t\xc3\xa9",
                              "\xe4\xb8\xad\xe6\x96\x87", "http", "://", " mg", " blood pressure"};

// Byte-level BPE: the 256 byte symbols, merges that build each word left to right, three added tokens.
std::unique_ptr<Tokenizer> byte_level_with_merges(const char* pre) {
  std::vector<std::string> tokens, merges;
  for (int b = 0; b < 256; ++b) tokens.push_back(byte_to_unicode(uint8_t(b)));
  for (const char* w : kWords) {
    std::string left = byte_to_unicode(uint8_t(w[0]));
    for (size_t i = 1; w[i]; ++i) {
      const std::string c = byte_to_unicode(uint8_t(w[i]));
      merges.push_back(left + " " + c);
      left += c;
      if (std::find(tokens.begin(), tokens.end(), left) == tokens.end()) tokens.push_back(left);
    }
  }
  std::vector<int32_t> types(tokens.size(), 1);
  for (const char* s : {"<|im_start|>", "<|im_end|>"}) {
    tokens.push_back(s);
    types.push_back(3);
  }
  tokens.push_back("<tag>");
  types.push_back(4);
  GgufWriter w;
  w.set_string("tokenizer.ggml.model", "gpt2");
  w.set_string("tokenizer.ggml.pre", pre);
  w.set_string_array("tokenizer.ggml.tokens", tokens);
  w.set_i32_array("tokenizer.ggml.token_type", types);
  w.set_string_array("tokenizer.ggml.merges", merges);
  return written(w, pre);
}

// SentencePiece BPE by score: <unk> <s> </s>, <start_of_turn>, the 256 byte tokens, letters, U+2581, and every
// prefix of each word (spaces as U+2581), longer pieces scoring higher.
std::unique_ptr<Tokenizer> spm_with_scores() {
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>", "<start_of_turn>"};
  std::vector<float> scores = {0, 0, 0, 0};
  std::vector<int32_t> types = {2, 3, 3, 3};
  for (int b = 0; b < 256; ++b) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "<0x%02X>", b);
    tokens.push_back(buf);
    scores.push_back(0);
    types.push_back(6);
  }
  auto add = [&](const std::string& p, float s) {
    if (std::find(tokens.begin(), tokens.end(), p) != tokens.end()) return;
    tokens.push_back(p);
    scores.push_back(s);
    types.push_back(1);
  };
  add("\xe2\x96\x81", -1);
  for (char c = 'a'; c <= 'z'; ++c) add(std::string(1, c), -2);
  for (const char* w : kWords) {
    std::string s;
    for (const char* p = w; *p; ++p) s += *p == ' ' ? std::string("\xe2\x96\x81") : std::string(1, *p);
    for (size_t n = 1; n <= s.size(); ++n) add(s.substr(0, n), -10.0f / float(n));
  }
  GgufWriter w;
  w.set_string("tokenizer.ggml.model", "llama");
  w.set_string_array("tokenizer.ggml.tokens", tokens);
  w.set_f32_array("tokenizer.ggml.scores", scores);
  w.set_i32_array("tokenizer.ggml.token_type", types);
  w.set_u32("tokenizer.ggml.bos_token_id", 1);
  w.set_u32("tokenizer.ggml.eos_token_id", 2);
  w.set_u32("tokenizer.ggml.unknown_token_id", 0);
  return written(w, "spm");
}

std::vector<Entry>& tokenizers() {
  static std::vector<Entry> t = [] {
    const std::string dir = std::string(SOTTO_SOURCE_DIR) + "/tests/fixtures/models/";
    std::vector<Entry> v;
    v.push_back({load(dir + "llama32-q4_0.gguf"), RoundTrip::exact});
    v.push_back({load(dir + "qwen25-q4_0.gguf"), RoundTrip::nfc});
    v.push_back({load(dir + "smollm2-q8_0.gguf"), RoundTrip::exact});
    v.push_back({load(dir + "gemma3-q4_0.gguf"), RoundTrip::none});
    v.push_back({byte_level_with_merges("gpt2"), RoundTrip::exact});
    v.push_back({byte_level_with_merges("llama-bpe"), RoundTrip::exact});
    v.push_back({spm_with_scores(), RoundTrip::spm});
    return v;
  }();
  return t;
}

std::string spaces_for_u2581(std::string s) {
  for (size_t i = 0; (i = s.find("\xe2\x96\x81", i)) != std::string::npos;) s.replace(i, 3, " ");
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  auto& all = tokenizers();
  const Entry& e = all[size_t(data[0] & 0x7f) % all.size()];
  const bool parse_special = data[0] & 0x80;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    const std::vector<int32_t> ids = e.tok->encode(text, false, parse_special);
    for (int32_t id : ids) FUZZ_CHECK(id >= 0 && id < e.tok->n_vocab());
    const std::string back = e.tok->decode(ids);
    // Parsed specials and NFC are applied per segment between specials; compare without them.
    if (!parse_special || e.rt == RoundTrip::exact) {
      switch (e.rt) {
        case RoundTrip::exact: FUZZ_CHECK(back == text); break;
        case RoundTrip::nfc: FUZZ_CHECK(back == unicode::nfc(text)); break;
        case RoundTrip::spm: FUZZ_CHECK(back == spaces_for_u2581(std::string(text))); break;
        case RoundTrip::none: break;
      }
    }
    const std::vector<int32_t> with_bos = e.tok->encode(text, true, parse_special);
    FUZZ_CHECK(with_bos.size() >= ids.size());
  } catch (const Error&) {
  }
  return 0;
}
