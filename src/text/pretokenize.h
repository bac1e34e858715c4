// pretokenize.h — the pre-tokenizer splits of the byte-level BPE families, written by hand (no regex
// engine): each returns the pieces of `text` in order; concatenated they give `text` back.
//   Llama3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|
//           \s*[\r\n]+|\s+(?!\S)|\s+
//   Qwen2:  the same with \p{N} (one digit at a time)
//   Gpt2:   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//   SmolLM: every \p{N} isolated first, then Gpt2 on the rest
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sotto {

enum class PreTok { Llama3, Qwen2, Gpt2, SmolLM };

std::vector<std::string_view> pretokenize(std::string_view text, PreTok kind);

}  // namespace sotto
