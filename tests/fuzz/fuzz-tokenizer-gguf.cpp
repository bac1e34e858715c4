// fuzz-tokenizer-gguf.cpp — libFuzzer target: loading a tokenizer from GGUF metadata (Tokenizer::from_gguf)
// of arbitrary bytes, then using it: a fixed text (plain words, digits, accents, invalid UTF-8, the special
// tokens of each family) encoded with and without special-token parsing, decoded again, every token's piece,
// the special-token queries and the chat template.
// Properties: every id encode() returns is in the vocabulary; bos()/eos() are -1 or in the vocabulary.
#include <string>
#include <vector>

#include "core/error.h"
#include "core/gguf.h"
#include "fuzz.h"
#include "text/tokenizer.h"

using namespace sotto;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::unique_ptr<Tokenizer> tok;
  try {
    auto f = GgufFile::from_memory(std::vector<uint8_t>(data, data + size), "fuzz.gguf");
    tok = Tokenizer::from_gguf(*f);
  } catch (const Error&) {
    return 0;
  }
  const int32_t n = tok->n_vocab();
  FUZZ_CHECK(n > 0);
  FUZZ_CHECK(tok->bos() >= -1 && tok->bos() < n);
  FUZZ_CHECK(tok->eos() >= -1 && tok->eos() < n);
  try {
    const std::string text =
        "Hello  world 12345 \xc3\xa9t\xc3\xa9 \xff\xfe <|im_start|>user\n<start_of_turn><|eot_id|> it's\r\n\tok";
    for (bool special : {false, true}) {
      const std::vector<int32_t> ids = tok->encode(text, true, special);
      for (int32_t id : ids) FUZZ_CHECK(id >= 0 && id < n);
      (void)tok->decode(ids);
    }
    for (int32_t id = -1; id <= n && id < 100000; ++id) {
      (void)tok->token_to_piece(id);
      (void)tok->is_eog(id);
      (void)tok->is_special(id);
    }
    (void)tok->token_id("a");
    (void)tok->apply_chat_template({{"system", "S"}, {"user", "U"}, {"assistant", "A"}}, true);
  } catch (const Error&) {
  }
  return 0;
}
