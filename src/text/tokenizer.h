// tokenizer.h — text <-> token ids for the supported model families.
// Three algorithms behind one interface:
//   - BERT WordPiece (text/wordpiece.h): the embedding models (all-MiniLM, bge); encode's add_bos adds [CLS] and [SEP];
//   - byte-level BPE (GPT-2 style byte->unicode mapping, merges by rank, a pre-tokenizer regex per family):
//     Llama 3, Qwen2.5, SmolLM2;
//   - SentencePiece-style BPE (scores as merge priority, U+2581 for spaces, byte fallback <0xNN>): Gemma 3.
// Loaded from GGUF metadata (tokenizer.ggml.* keys, as written by the wider GGUF ecosystem) or from a
// Hugging Face tokenizer.json. Special tokens (e.g. <|begin_of_text|>, <start_of_turn>) written in the
// text are recognised when parse_special is true.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sotto {

class GgufFile;

struct ChatMessage {
  std::string role;  // "system", "user", "assistant"
  std::string content;
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  static std::unique_ptr<Tokenizer> from_gguf(const GgufFile& f);       // throws Error
  static std::unique_ptr<Tokenizer> from_json(const std::string& path);  // tokenizer.json; throws Error

  virtual std::vector<int32_t> encode(std::string_view text, bool add_bos, bool parse_special = true) const = 0;
  // Raw bytes of one token as it appears in decoded text (may be a partial UTF-8 sequence).
  virtual std::string token_to_piece(int32_t id) const = 0;
  std::string decode(const std::vector<int32_t>& ids) const;  // concatenated pieces; specials included

  virtual int32_t n_vocab() const = 0;
  virtual int32_t bos() const = 0;  // -1 if none
  virtual int32_t eos() const = 0;
  virtual bool is_eog(int32_t id) const = 0;      // end of generation (eos, eot, <end_of_turn>, ...)
  virtual bool is_special(int32_t id) const = 0;  // control tokens (not plain text)
  virtual int32_t token_id(std::string_view piece) const = 0;  // exact vocab entry, -1 if none

  // Renders the family's chat format (Llama 3 header ids, ChatML for Qwen/SmolLM2, Gemma turns).
  virtual std::string apply_chat_template(const std::vector<ChatMessage>& messages,
                                          bool add_generation_prompt) const = 0;
};

}  // namespace sotto
